import Foundation
import OpenIMContent

/// A pack's lifecycle: drafts are invisible to clients, archived packs leave the catalog but keep their data.
public enum PackStatus: String, Sendable, Equatable, CaseIterable {
    case draft, published, archived
}

/// Where a sticker's or tray's image comes from in a manifest.
public enum AssetReference: Sendable, Equatable, Hashable {
    /// A file uploaded with the manifest (a multipart part or a zip entry of that name).
    case file(String)
    /// An asset already stored, by SHA-256 (what a GET returns, so a document can be PUT back unchanged).
    case stored(sha256: String)
}

/// One problem with one field or file of a request.
public struct FieldIssue: Error, Sendable, Equatable, Hashable {
    /// Path of the field (`stickers[3].emojis`) or the file name.
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// Why a pack write was refused; nothing was stored.
public struct PackValidationError: Error, Sendable, Equatable {
    /// What kind of refusal, which decides the HTTP status.
    public enum Kind: Sendable, Equatable {
        /// The request body is not parseable (400).
        case malformed
        /// Fields or files break the rules (422).
        case invalid
        /// Ids collide with each other or with stored ones (409).
        case conflict
    }

    public var kind: Kind
    public var issues: [FieldIssue]

    public init(_ kind: Kind, _ issues: [FieldIssue]) {
        self.kind = kind
        self.issues = issues
    }

    public init(_ kind: Kind, field: String, _ message: String) {
        self.init(kind, [FieldIssue(field: field, message: message)])
    }
}

/// Facts about a stored or uploaded image.
public struct AssetDescriptor: Sendable, Equatable, Hashable {
    public var sha256: String
    public var mime: String
    public var byteSize: Int
    public var width: Int
    public var height: Int
    public var frameCount: Int
    /// The still WebP a picker grid shows, derived at upload; nil for TGS, a WebM without a decodable first frame,
    /// and assets stored before thumbnails existed (`catalog-service assets thumbnails` makes theirs).
    public var thumbnail: AssetThumbnail?
    public var animated: Bool { frameCount > 1 }

    public init(sha256: String, mime: String, byteSize: Int, width: Int, height: Int, frameCount: Int, thumbnail: AssetThumbnail? = nil) {
        self.sha256 = sha256
        self.mime = mime
        self.byteSize = byteSize
        self.width = width
        self.height = height
        self.frameCount = frameCount
        self.thumbnail = thumbnail
    }

    /// The file extension for asset URLs.
    public var fileExtension: String { ImageFormat(mime: mime)?.fileExtension ?? "bin" }
}

/// An asset's thumbnail: itself an asset (a still WebP), stored and served like any other.
public struct AssetThumbnail: Sendable, Equatable, Hashable {
    public var sha256: String
    public var byteSize: Int
    public var width: Int
    public var height: Int

    public init(sha256: String, byteSize: Int, width: Int, height: Int) {
        self.sha256 = sha256
        self.byteSize = byteSize
        self.width = width
        self.height = height
    }

    /// Reads the four nullable thumbnail columns a query joined.
    public init?(sha256: String?, byteSize: Int?, width: Int?, height: Int?) {
        guard let sha256, let byteSize, let width, let height else { return nil }
        self.init(sha256: sha256, byteSize: byteSize, width: width, height: height)
    }
}

/// Image bytes with their description, ready to store.
public struct AssetBlob: Sendable, Equatable {
    public var descriptor: AssetDescriptor
    public var bytes: [UInt8]

    public init(descriptor: AssetDescriptor, bytes: [UInt8]) {
        self.descriptor = descriptor
        self.bytes = bytes
    }
}

/// A sticker as the admin described it.
public struct StickerManifest: Sendable, Equatable {
    public var id: String
    public var asset: AssetReference
    public var emojis: [String]
    public var keywords: [String]
    /// Keywords per locale (`{"en": ["hello"], "zh-Hans": ["你好"]}`), beside the locale-neutral `keywords`.
    public var localizedKeywords: [String: [String]]
    public var label: String?

    public init(id: String, asset: AssetReference, emojis: [String], keywords: [String], localizedKeywords: [String: [String]] = [:], label: String?) {
        self.id = id
        self.asset = asset
        self.emojis = emojis
        self.keywords = keywords
        self.localizedKeywords = localizedKeywords
        self.label = label
    }
}

/// A pack as the admin described it (`manifest.json`).
public struct PackManifest: Sendable, Equatable {
    public var id: String
    public var title: [String: String]
    public var description: [String: String]
    public var publisher: String
    public var tray: AssetReference
    public var status: PackStatus
    public var position: Int?
    /// When given, every image must agree; when absent the images must all agree with each other (no mixing).
    public var animated: Bool?
    public var tags: [String]
    public var stickers: [StickerManifest]

    public init(
        id: String, title: [String: String], description: [String: String], publisher: String, tray: AssetReference,
        status: PackStatus, position: Int?, animated: Bool?, tags: [String], stickers: [StickerManifest]
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.publisher = publisher
        self.tray = tray
        self.status = status
        self.position = position
        self.animated = animated
        self.tags = tags
        self.stickers = stickers
    }
}

/// A stored sticker with its image.
public struct StoredSticker: Sendable, Equatable {
    public var id: String
    public var asset: AssetDescriptor
    public var emojis: [String]
    public var keywords: [String]
    /// Keywords per locale (`{"en": ["hello"], "zh-Hans": ["你好"]}`), beside the locale-neutral `keywords`.
    public var localizedKeywords: [String: [String]]
    public var label: String?

    public init(id: String, asset: AssetDescriptor, emojis: [String], keywords: [String], localizedKeywords: [String: [String]] = [:], label: String?) {
        self.id = id
        self.asset = asset
        self.emojis = emojis
        self.keywords = keywords
        self.localizedKeywords = localizedKeywords
        self.label = label
    }
}

/// A stored pack with its stickers in display order.
public struct StoredPack: Sendable, Equatable {
    public var id: String
    public var title: [String: String]
    public var description: [String: String]
    public var publisher: String
    public var tray: AssetDescriptor
    public var status: PackStatus
    public var position: Int
    public var animated: Bool
    public var tags: [String]
    public var revision: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var stickers: [StoredSticker]

    public init(
        id: String, title: [String: String], description: [String: String], publisher: String, tray: AssetDescriptor,
        status: PackStatus, position: Int, animated: Bool, tags: [String], revision: Int, createdAt: Date, updatedAt: Date,
        stickers: [StoredSticker]
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.publisher = publisher
        self.tray = tray
        self.status = status
        self.position = position
        self.animated = animated
        self.tags = tags
        self.revision = revision
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.stickers = stickers
    }

    /// The pack's strong ETag for If-Match: its revision.
    public var eTag: String { "\"r\(revision)\"" }
}
