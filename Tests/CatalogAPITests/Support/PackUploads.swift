import CatalogTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent

/// Uploads used across the pack tests.
enum PackUploads {
    static let tray = ImageFactory.png(width: 96, height: 96)

    /// A manifest with `count` stickers `<id>-s<n>` using files `s<n>.png`.
    static func manifest(id: String, count: Int = 2, status: String = "published", extra: String = "") -> String {
        let stickers = (0..<count).map { #"{"id":"\#(id)-s\#($0)","file":"s\#($0).png","emojis":["😀"],"keywords":["k\#($0)"],"label":"sticker \#($0)"}"# }
        return #"{"id":"\#(id)","title":{"en":"Pack \#(id)"},"publisher":"Tests","tray":"tray.png","status":"\#(status)","tags":["t"]\#(extra),"stickers":[\#(stickers.joined(separator: ","))]}"#
    }

    /// Distinct valid PNG bytes for sticker `n` (so each hashes differently).
    static func image(_ n: Int) -> [UInt8] {
        ImageFactory.png(width: 64 + n % 400, height: 64)
    }

    static func multipart(manifest: String, files: [(String, [UInt8])]) -> MultipartBody {
        var body = MultipartBody()
        body.add(name: "manifest", fileName: "manifest.json", contentType: "application/json", Array(manifest.utf8))
        for (name, bytes) in files { body.addFile(name, bytes) }
        return body
    }

    static func standardFiles(count: Int, offset: Int = 0) -> [(String, [UInt8])] {
        [("tray.png", tray)] + (0..<count).map { ("s\($0).png", image($0 + offset)) }
    }

    static func create(_ client: any TestClientProtocol, id: String, count: Int = 2, status: String = "published", offset: Int = 0) async throws -> TestResponse {
        let body = multipart(manifest: manifest(id: id, count: count, status: status), files: standardFiles(count: count, offset: offset))
        return try await client.execute(uri: "/v1/admin/packs", method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished))
    }
}

extension TestResponse {
    var json: JSONValue { (try? JSONParser.parse(body.readableBytesView)) ?? .null }
    var catalogVersion: Int64? { headers[HTTPField.Name("Catalog-Version")!].flatMap(Int64.init) }
}
