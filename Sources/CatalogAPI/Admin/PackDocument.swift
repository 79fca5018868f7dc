import CatalogCore
import CatalogStore
import Foundation
import OpenIMContent

/// The admin JSON of a pack: everything stored, in a shape that can be PUT back unchanged (read-only members such as
/// `revision`, timestamps and URLs are ignored on write; images are referred to by `sha256`).
enum PackDocument {
    static func write(_ pack: StoredPack, baseURL: String, catalogVersion: Int64?, to writer: inout JSONWriter) {
        writer.object { object in
            object.member("animated", pack.animated)
            object.member("catalogVersion", catalogVersion)
            object.member("createdAt", ISO8601.format(pack.createdAt))
            object.member("description") { $0.stringObject(pack.description) }
            object.member("id", pack.id)
            object.member("position", pack.position)
            object.member("publisher", pack.publisher)
            object.member("revision", pack.revision)
            object.member("status", pack.status.rawValue)
            object.member("stickers") { stickers in
                stickers.array(pack.stickers) { array, sticker in
                    CatalogSnapshot.write(sticker: sticker, baseURL: baseURL, storageFacts: true, to: &array)
                }
            }
            object.member("tags", pack.tags)
            object.member("title") { $0.stringObject(pack.title) }
            object.member("traySha256", pack.tray.sha256)
            if let thumbnail = CatalogSnapshot.thumbnailURL(pack.tray, baseURL: baseURL) { object.member("trayThumbnailUrl", thumbnail) }
            object.member("trayUrl", CatalogSnapshot.assetURL(pack.tray, baseURL: baseURL))
            object.member("updatedAt", ISO8601.format(pack.updatedAt))
        }
    }

    static func bytes(_ pack: StoredPack, baseURL: String, catalogVersion: Int64?) -> [UInt8] {
        var writer = JSONWriter(capacity: 2048)
        write(pack, baseURL: baseURL, catalogVersion: catalogVersion, to: &writer)
        return writer.bytes
    }
}
