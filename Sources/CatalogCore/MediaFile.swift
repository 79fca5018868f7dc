import Foundation
import OpenIMContent

/// A file in OpenIM's object storage, as the media catalog records it (never a message body): the registration as
/// checked, plus what the store adds. The registration's fields read as the file's own (`file.url`).
@dynamicMemberLookup
public struct MediaFile: Sendable, Equatable {
    public typealias Kind = MediaPayload.Kind

    public var id: UUID
    public var draft: MediaDraft
    public var createdAt: Date
    public var deletedAt: Date?

    public init(id: UUID, draft: MediaDraft, createdAt: Date, deletedAt: Date?) {
        self.id = id
        self.draft = draft
        self.createdAt = createdAt
        self.deletedAt = deletedAt
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<MediaDraft, Value>) -> Value { draft[keyPath: keyPath] }

    /// Where a media file may live: any https URL, or under OpenIM's storage origin (often plain http inside the
    /// cluster). Registration and the before-send webhook apply the same rule.
    public static func allowsURL(_ text: String, storageOrigin: String?) -> Bool {
        if let storageOrigin, text.hasPrefix(storageOrigin + "/"), text.utf8.count <= CatalogPayload.maximumURLBytes,
           !text.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            return true
        }
        return HTTPSURL(text) != nil
    }

    /// The id as it appears in JSON and URLs: lowercase UUID.
    public var idString: String { id.uuidString.lowercased() }

    /// The payload a custom (110) message carries for this file.
    public var payload: MediaPayload {
        let d = draft
        return MediaPayload(
            mediaId: idString, kind: d.kind, url: d.url, mime: d.mime, size: d.size, width: d.width.map(Int64.init),
            height: d.height.map(Int64.init), durationMs: d.durationMs, snapshotUrl: d.snapshotUrl, fileName: d.fileName
        )
    }

    /// OpenIM's native content for the file: image → picture (102), video → video (104), audio → sound (103),
    /// file → file (105).
    public func nativeContent() throws(OpenIMContentError) -> MessageContent {
        try MessageEncoder.native(payload, snapshotWidth: draft.snapshotWidth.map(Int64.init), snapshotHeight: draft.snapshotHeight.map(Int64.init))
    }

    /// Writes the row with the field names of the media API (keys sorted; absent values left out).
    public func write(to writer: inout JSONWriter) {
        let d = draft
        writer.object { object in
            object.member("conversationId", d.conversationId)
            object.member("createdAt", ISO8601.format(createdAt))
            if let deletedAt { object.member("deletedAt", ISO8601.format(deletedAt)) }
            object.member("durationMs", d.durationMs)
            object.member("fileName", d.fileName)
            object.member("height", d.height)
            object.member("id", idString)
            object.member("kind", d.kind.rawValue)
            object.member("mime", d.mime)
            object.member("objectKey", d.objectKey)
            object.member("ownerUserId", d.ownerUserId)
            object.member("sha256", d.sha256)
            object.member("size", d.size)
            object.member("snapshotHeight", d.snapshotHeight)
            object.member("snapshotUrl", d.snapshotUrl)
            object.member("snapshotWidth", d.snapshotWidth)
            object.member("url", d.url)
            object.member("width", d.width)
        }
    }
}

/// A media registration as checked, before the store gives it an id.
public struct MediaDraft: Sendable, Equatable {
    public var ownerUserId: String
    public var conversationId: String?
    public var kind: MediaFile.Kind
    public var mime: String
    public var size: Int64
    public var sha256: String
    public var url: String
    public var objectKey: String
    public var width: Int?
    public var height: Int?
    public var durationMs: Int64?
    public var snapshotUrl: String?
    public var snapshotWidth: Int?
    public var snapshotHeight: Int?
    public var fileName: String?

    public init(
        ownerUserId: String, conversationId: String? = nil, kind: MediaFile.Kind, mime: String, size: Int64, sha256: String, url: String,
        objectKey: String, width: Int? = nil, height: Int? = nil, durationMs: Int64? = nil, snapshotUrl: String? = nil,
        snapshotWidth: Int? = nil, snapshotHeight: Int? = nil, fileName: String? = nil
    ) {
        self.ownerUserId = ownerUserId
        self.conversationId = conversationId
        self.kind = kind
        self.mime = mime
        self.size = size
        self.sha256 = sha256
        self.url = url
        self.objectKey = objectKey
        self.width = width
        self.height = height
        self.durationMs = durationMs
        self.snapshotUrl = snapshotUrl
        self.snapshotWidth = snapshotWidth
        self.snapshotHeight = snapshotHeight
        self.fileName = fileName
    }
}

/// Reads and checks `POST /v1/media` bodies, naming every bad field.
public enum MediaRegistrationParser {
    static let fields: Set<String> = [
        "ownerUserId", "conversationId", "kind", "mime", "size", "sha256", "url", "objectKey", "width", "height", "durationMs",
        "snapshotUrl", "snapshotWidth", "snapshotHeight", "fileName",
    ]
    static let readOnlyFields: Set<String> = ["id", "createdAt", "deletedAt"]
    public static let maximumBodyBytes = 16 * 1024
    /// Largest file the catalog records: 16 GiB, beyond anything OpenIM's multipart upload is configured for.
    public static let maximumSize: Int64 = 16 * 1024 * 1024 * 1024
    /// Longest media: 24 hours.
    public static let maximumDurationMs: Int64 = 24 * 3600 * 1000
    public static let maximumSide = 65_535

    /// Parses a registration. URLs must be https, or start with `storageOrigin` (OpenIM's MinIO, often plain
    /// http inside the cluster) when one is configured.
    public static func parse(_ bytes: [UInt8], storageOrigin: String?) throws(PackValidationError) -> MediaDraft {
        let (json, members) = try Issues.object(bytes, field: "body", limit: maximumBodyBytes)
        var issues = Issues()
        issues.rejectUnknown(members, allowed: fields, ignored: readOnlyFields, path: "")

        let owner = issues.string(json, "ownerUserId", path: "ownerUserId").flatMap { issues.userID($0, path: "ownerUserId", maxBytes: 64) }
        let conversation = issues.optionalString(json, "conversationId", path: "conversationId").flatMap { issues.userID($0, path: "conversationId", maxBytes: 128) }
        var kind: MediaFile.Kind?
        if let text = issues.string(json, "kind", path: "kind") {
            kind = MediaFile.Kind(rawValue: text)
            if kind == nil { issues.add("kind", "must be one of image, video, audio, file") }
        }
        var mime: String?
        if let text = issues.string(json, "mime", path: "mime") {
            if isMIMEType(text) { mime = text.lowercased() } else { issues.add("mime", "must be a media type such as image/jpeg") }
        }
        if let kind, let mime, kind != .file, !mime.hasPrefix("\(kind.rawValue)/") {
            issues.add("mime", "is \(mime) but kind \(kind.rawValue) needs \(kind.rawValue)/*")
        }
        let size = issues.requiredInteger(json, "size", path: "size")
        if let size, !(1...maximumSize).contains(size) { issues.add("size", "must be 1 to \(maximumSize) bytes") }
        var sha256: String?
        if let text = issues.string(json, "sha256", path: "sha256") {
            if ManifestParser.isSHA256(text) { sha256 = text } else { issues.add("sha256", "must be 64 lowercase hex digits") }
        }
        let url = issues.string(json, "url", path: "url").flatMap { issues.mediaURL($0, path: "url", storageOrigin: storageOrigin) }
        var objectKey: String?
        if let text = issues.string(json, "objectKey", path: "objectKey") {
            if isObjectKey(text) { objectKey = text } else {
                issues.add("objectKey", "must be 1 to 1024 bytes without control characters, a leading / or .. segments")
            }
        }
        let width = issues.optionalInteger(json, "width", path: "width", range: 1...maximumSide)
        let height = issues.optionalInteger(json, "height", path: "height", range: 1...maximumSide)
        let duration = issues.optionalInteger(json, "durationMs", path: "durationMs", range: 1...Int(maximumDurationMs)).map(Int64.init)
        let snapshotUrl = issues.optionalString(json, "snapshotUrl", path: "snapshotUrl").flatMap { issues.mediaURL($0, path: "snapshotUrl", storageOrigin: storageOrigin) }
        let snapshotWidth = issues.optionalInteger(json, "snapshotWidth", path: "snapshotWidth", range: 1...maximumSide)
        let snapshotHeight = issues.optionalInteger(json, "snapshotHeight", path: "snapshotHeight", range: 1...maximumSide)
        var fileName: String?
        if let text = issues.optionalString(json, "fileName", path: "fileName") {
            fileName = issues.fileName(text, path: "fileName")
        }

        if let kind {
            let visual = kind == .image || kind == .video
            if visual {
                if json["width"] == nil || json["width"] == .null { issues.add("width", "is required for \(kind.rawValue)") }
                if json["height"] == nil || json["height"] == .null { issues.add("height", "is required for \(kind.rawValue)") }
            } else {
                if width != nil { issues.add("width", "applies to images and videos only") }
                if height != nil { issues.add("height", "applies to images and videos only") }
            }
            let timed = kind == .video || kind == .audio
            if timed, json["durationMs"] == nil || json["durationMs"] == .null {
                issues.add("durationMs", "is required for \(kind.rawValue) (OpenIM's \(kind == .video ? "video" : "sound") message needs it)")
            }
            if !timed, duration != nil { issues.add("durationMs", "applies to videos and audio only") }
            if kind == .video {
                if json["snapshotUrl"] == nil || json["snapshotUrl"] == .null { issues.add("snapshotUrl", "is required for video (OpenIM's video message shows it)") }
            } else {
                if snapshotUrl != nil { issues.add("snapshotUrl", "applies to videos only") }
                if snapshotWidth != nil { issues.add("snapshotWidth", "applies to videos only") }
                if snapshotHeight != nil { issues.add("snapshotHeight", "applies to videos only") }
            }
        }
        guard issues.list.isEmpty, let owner, let kind, let mime, let size, let sha256, let url, let objectKey else {
            throw PackValidationError(.invalid, issues.list)
        }
        return MediaDraft(
            ownerUserId: owner, conversationId: conversation, kind: kind, mime: mime, size: size, sha256: sha256, url: url,
            objectKey: objectKey, width: width, height: height, durationMs: duration, snapshotUrl: snapshotUrl,
            snapshotWidth: snapshotWidth, snapshotHeight: snapshotHeight, fileName: fileName
        )
    }

    /// `type/subtype` with RFC 9110 token characters, at most 127 bytes, no parameters.
    static func isMIMEType(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, text.utf8.count <= 127 else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { byte in
                Issues.isNameByte(byte) || "!#$&^+".utf8.contains(byte)
            }
        }
    }

    static func isObjectKey(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard (1...1024).contains(utf8.count), utf8.first != UInt8(ascii: "/") else { return false }
        guard !utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\\") }) else { return false }
        return !text.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." || $0 == "." }
    }
}

extension Issues {
    /// OpenIM user and conversation ids: printable ASCII without spaces.
    mutating func userID(_ text: String, path: String, maxBytes: Int) -> String? {
        guard (1...maxBytes).contains(text.utf8.count), text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            add(path, "must be 1 to \(maxBytes) printable ASCII characters without spaces")
            return nil
        }
        return text
    }

    /// An https URL, or one under the configured storage origin.
    mutating func mediaURL(_ text: String, path: String, storageOrigin: String?) -> String? {
        if MediaFile.allowsURL(text, storageOrigin: storageOrigin) { return text }
        add(path, storageOrigin.map { "must be an https URL or start with the storage origin \($0)/" } ?? "must be an https URL")
        return nil
    }
}
