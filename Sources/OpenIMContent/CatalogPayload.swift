/// Our own payload, carried as the JSON string in `CustomElem.data` (schema in docs/custom-messages.md).
///
/// `type` says which catalog item it is and `v` the schema version. Fields are added without bumping `v` (readers
/// ignore members they do not know); a change that breaks readers bumps `v`, and readers refuse versions they
/// do not understand rather than guess.
public enum CatalogPayload: Sendable, Equatable {
    case sticker(StickerPayload)
    case gif(GIFPayload)
    case media(MediaPayload)

    /// The schema version this library writes and reads.
    public static let schemaVersion: Int64 = 1
    /// Largest encoded payload accepted: three 2 KB URLs fit, and it stays far under OpenIM's 51,200-byte client
    /// WebSocket frame (`internal/msggateway/constant.go`) once wrapped and escaped twice.
    public static let maximumEncodedBytes = 8192
    /// Longest URL accepted in a payload.
    public static let maximumURLBytes = 2048
    /// Longest identifier accepted in a payload.
    public static let maximumIdentifierBytes = 128
    /// Largest width or height accepted.
    public static let maximumDimension: Int64 = 16384

    /// The `type` discriminator.
    public var typeName: String {
        switch self {
        case .sticker: return "sticker"
        case .gif: return "gif"
        case .media: return "media"
        }
    }

    /// Writes the payload as compact JSON with sorted keys.
    public func write(to writer: inout JSONWriter) {
        switch self {
        case .sticker(let sticker): sticker.write(to: &writer)
        case .gif(let gif): gif.write(to: &writer)
        case .media(let media): media.write(to: &writer)
        }
    }

    /// The payload as a JSON string, checked against the size limit.
    public func encodedString() throws(OpenIMContentError) -> String {
        try validate()
        var writer = JSONWriter(capacity: 320)
        write(to: &writer)
        guard writer.bytes.count <= Self.maximumEncodedBytes else {
            throw .tooLarge(field: "data", size: writer.bytes.count, limit: Self.maximumEncodedBytes)
        }
        return writer.string
    }

    /// Checks every field against the schema's rules.
    public func validate() throws(OpenIMContentError) {
        switch self {
        case .sticker(let sticker): try sticker.validate()
        case .gif(let gif): try gif.validate()
        case .media(let media): try media.validate()
        }
    }

    /// Decodes the string found in `CustomElem.data`.
    public static func decode(data: String) throws(OpenIMContentError) -> CatalogPayload {
        guard data.utf8.count <= maximumEncodedBytes else {
            throw .tooLarge(field: "data", size: data.utf8.count, limit: maximumEncodedBytes)
        }
        return try decode(json: JSONParser.parse(data))
    }

    /// Decodes an already parsed payload object.
    public static func decode(json: JSONValue) throws(OpenIMContentError) -> CatalogPayload {
        let reader = try FieldReader(json, path: "data")
        let type = try reader.string("type")
        let version = try reader.integer("v")
        switch type {
        case "sticker", "gif", "media": break
        default: throw .unknownPayloadType(type)
        }
        guard version == schemaVersion else { throw .unsupportedVersion(version) }
        let payload: CatalogPayload
        switch type {
        case "sticker": payload = .sticker(try StickerPayload(reader: reader))
        case "gif": payload = .gif(try GIFPayload(reader: reader))
        default: payload = .media(try MediaPayload(reader: reader))
        }
        try payload.validate()
        return payload
    }
}

/// Shared field rules of the payload schema.
enum PayloadRules {
    // Checks work on UTF-8 bytes: they run on every encode and decode, and Character iteration is slow.

    static func identifier(_ value: String, field: String) throws(OpenIMContentError) {
        let count = value.utf8.count
        if count == 0 { throw .invalidValue(field: field, reason: "must not be empty") }
        if count > CatalogPayload.maximumIdentifierBytes {
            throw .tooLarge(field: field, size: count, limit: CatalogPayload.maximumIdentifierBytes)
        }
        // C0 controls and DEL are single bytes in UTF-8 and never part of a multi-byte sequence.
        if ByteScan.contains(value, where: { $0 < 0x20 || $0 == 0x7F }) {
            throw .invalidValue(field: field, reason: "must not contain control characters")
        }
    }

    static func url(_ value: String, field: String) throws(OpenIMContentError) {
        var value = value
        let problem = value.withUTF8 { utf8 -> OpenIMContentError? in
            if utf8.count > CatalogPayload.maximumURLBytes {
                return .tooLarge(field: field, size: utf8.count, limit: CatalogPayload.maximumURLBytes)
            }
            let schemeLength: Int
            if utf8.starts(with: "https://".utf8) { schemeLength = 8 } else if utf8.starts(with: "http://".utf8) { schemeLength = 7 } else {
                return .invalidValue(field: field, reason: "must be an absolute http(s) URL")
            }
            if utf8.count == schemeLength || utf8[schemeLength] == UInt8(ascii: "/") { return .invalidValue(field: field, reason: "must name a host") }
            if utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
                return .invalidValue(field: field, reason: "must not contain spaces or control characters")
            }
            return nil
        }
        if let problem { throw problem }
    }

    static func dimension(_ value: Int64, field: String) throws(OpenIMContentError) {
        guard (1...CatalogPayload.maximumDimension).contains(value) else {
            throw .invalidValue(field: field, reason: "must be between 1 and \(CatalogPayload.maximumDimension)")
        }
    }

    static func mime(_ value: String, field: String) throws(OpenIMContentError) {
        var value = value
        let valid = value.withUTF8 { utf8 -> Bool in
            guard utf8.count <= 127 else { return false }
            var slashes = 0
            var slashIndex = -1
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte > 0x20, byte < 0x7F else { return false }
                if byte == UInt8(ascii: "/") { slashes += 1; slashIndex = index }
            }
            return slashes == 1 && slashIndex > 0 && slashIndex < utf8.count - 1
        }
        if !valid { throw .invalidValue(field: field, reason: "must be a MIME type such as image/webp") }
    }
}

/// A sticker from our catalog: everything a client needs to render it without another request.
public struct StickerPayload: Sendable, Equatable {
    public var packId: String
    public var stickerId: String
    public var url: String
    public var mime: String
    public var width: Int64
    public var height: Int64
    public var animated: Bool
    /// The sticker's first emoji, used for fallback text and accessibility.
    public var emoji: String?

    public init(packId: String, stickerId: String, url: String, mime: String, width: Int64, height: Int64, animated: Bool, emoji: String?) {
        self.packId = packId
        self.stickerId = stickerId
        self.url = url
        self.mime = mime
        self.width = width
        self.height = height
        self.animated = animated
        self.emoji = emoji
    }

    func write(to writer: inout JSONWriter) {
        writer.object { object in
            object.member("animated", animated)
            object.member("emoji", emoji)
            object.member("height", height)
            object.member("mime", mime)
            object.member("packId", packId)
            object.member("stickerId", stickerId)
            object.member("type", "sticker")
            object.member("url", url)
            object.member("v", CatalogPayload.schemaVersion)
            object.member("width", width)
        }
    }

    init(reader: FieldReader) throws(OpenIMContentError) {
        packId = try reader.string("packId")
        stickerId = try reader.string("stickerId")
        url = try reader.string("url")
        mime = try reader.string("mime")
        width = try reader.integer("width")
        height = try reader.integer("height")
        animated = try reader.bool("animated")
        emoji = try reader.optionalString("emoji")
    }

    func validate() throws(OpenIMContentError) {
        try PayloadRules.identifier(packId, field: "data.packId")
        try PayloadRules.identifier(stickerId, field: "data.stickerId")
        try PayloadRules.url(url, field: "data.url")
        try PayloadRules.mime(mime, field: "data.mime")
        try PayloadRules.dimension(width, field: "data.width")
        try PayloadRules.dimension(height, field: "data.height")
        if let emoji { try PayloadRules.identifier(emoji, field: "data.emoji") }
    }
}

/// A GIF chosen from a provider (Klipy, GIPHY, Tenor): clients render it from the provider's URLs.
public struct GIFPayload: Sendable, Equatable {
    public var provider: String
    public var providerId: String
    public var url: String
    public var mp4Url: String?
    public var previewUrl: String?
    public var width: Int64
    public var height: Int64

    public init(provider: String, providerId: String, url: String, mp4Url: String?, previewUrl: String?, width: Int64, height: Int64) {
        self.provider = provider
        self.providerId = providerId
        self.url = url
        self.mp4Url = mp4Url
        self.previewUrl = previewUrl
        self.width = width
        self.height = height
    }

    func write(to writer: inout JSONWriter) {
        writer.object { object in
            object.member("height", height)
            object.member("mp4Url", mp4Url)
            object.member("previewUrl", previewUrl)
            object.member("provider", provider)
            object.member("providerId", providerId)
            object.member("type", "gif")
            object.member("url", url)
            object.member("v", CatalogPayload.schemaVersion)
            object.member("width", width)
        }
    }

    init(reader: FieldReader) throws(OpenIMContentError) {
        provider = try reader.string("provider")
        providerId = try reader.string("providerId")
        url = try reader.string("url")
        mp4Url = try reader.optionalString("mp4Url")
        previewUrl = try reader.optionalString("previewUrl")
        width = try reader.integer("width")
        height = try reader.integer("height")
    }

    func validate() throws(OpenIMContentError) {
        try PayloadRules.identifier(provider, field: "data.provider")
        try PayloadRules.identifier(providerId, field: "data.providerId")
        try PayloadRules.url(url, field: "data.url")
        if let mp4Url { try PayloadRules.url(mp4Url, field: "data.mp4Url") }
        if let previewUrl { try PayloadRules.url(previewUrl, field: "data.previewUrl") }
        try PayloadRules.dimension(width, field: "data.width")
        try PayloadRules.dimension(height, field: "data.height")
    }
}

/// A file registered in the media catalog (it lives in OpenIM's object storage).
public struct MediaPayload: Sendable, Equatable {
    /// The kinds of media file.
    public enum Kind: String, Sendable, CaseIterable {
        case image, video, audio, file
    }

    public var mediaId: String
    public var kind: Kind
    public var url: String
    public var mime: String
    public var size: Int64
    public var width: Int64?
    public var height: Int64?
    public var durationMs: Int64?
    public var snapshotUrl: String?
    public var fileName: String?

    public init(
        mediaId: String, kind: Kind, url: String, mime: String, size: Int64, width: Int64? = nil, height: Int64? = nil,
        durationMs: Int64? = nil, snapshotUrl: String? = nil, fileName: String? = nil
    ) {
        self.mediaId = mediaId
        self.kind = kind
        self.url = url
        self.mime = mime
        self.size = size
        self.width = width
        self.height = height
        self.durationMs = durationMs
        self.snapshotUrl = snapshotUrl
        self.fileName = fileName
    }

    func write(to writer: inout JSONWriter) {
        writer.object { object in
            object.member("durationMs", durationMs)
            object.member("fileName", fileName)
            object.member("height", height)
            object.member("kind", kind.rawValue)
            object.member("mediaId", mediaId)
            object.member("mime", mime)
            object.member("size", size)
            object.member("snapshotUrl", snapshotUrl)
            object.member("type", "media")
            object.member("url", url)
            object.member("v", CatalogPayload.schemaVersion)
            object.member("width", width)
        }
    }

    init(reader: FieldReader) throws(OpenIMContentError) {
        mediaId = try reader.string("mediaId")
        let kindName = try reader.string("kind")
        guard let kind = Kind(rawValue: kindName) else {
            throw .invalidValue(field: "data.kind", reason: "must be one of image, video, audio, file")
        }
        self.kind = kind
        url = try reader.string("url")
        mime = try reader.string("mime")
        size = try reader.integer("size")
        width = try reader.optionalInteger("width")
        height = try reader.optionalInteger("height")
        durationMs = try reader.optionalInteger("durationMs")
        snapshotUrl = try reader.optionalString("snapshotUrl")
        fileName = try reader.optionalString("fileName")
    }

    func validate() throws(OpenIMContentError) {
        try PayloadRules.identifier(mediaId, field: "data.mediaId")
        try PayloadRules.url(url, field: "data.url")
        try PayloadRules.mime(mime, field: "data.mime")
        if size <= 0 { throw .invalidValue(field: "data.size", reason: "must be greater than 0") }
        if let width { try PayloadRules.dimension(width, field: "data.width") }
        if let height { try PayloadRules.dimension(height, field: "data.height") }
        if let durationMs, durationMs < 0 { throw .invalidValue(field: "data.durationMs", reason: "must not be negative") }
        if let snapshotUrl { try PayloadRules.url(snapshotUrl, field: "data.snapshotUrl") }
        if let fileName { try PayloadRules.identifier(fileName, field: "data.fileName") }
        if kind == .image || kind == .video, width == nil || height == nil {
            throw .missingField(width == nil ? "data.width" : "data.height")
        }
    }
}
