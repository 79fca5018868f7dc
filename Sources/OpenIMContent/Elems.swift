// OpenIM's message elems with the exact key spelling of openim-sdk-core `sdk_struct.go` and the server's
// `pkg/apistruct/msg.go`. Each has Codable conformance for callers that prefer it, a deterministic writer
// (keys in byte order, as Go marshals maps) and a lenient reader for what SDKs send (they omit empty fields).

/// Text message content (101).
public struct TextElem: Codable, Sendable, Equatable {
    public var content: String
    public init(content: String) { self.content = content }

    func write(to writer: inout JSONWriter) {
        writer.object { $0.member("content", content) }
    }
}

/// One rendition of a picture (OpenIM's PictureBaseInfo). `type`, `width`, `height` and `url` are required by
/// `/msg/send_msg`'s validator on all three renditions.
public struct PictureBaseInfo: Codable, Sendable, Equatable {
    public var uuid: String
    public var type: String
    public var size: Int64
    public var width: Int32
    public var height: Int32
    public var url: String

    public init(uuid: String, type: String, size: Int64, width: Int32, height: Int32, url: String) {
        self.uuid = uuid
        self.type = type
        self.size = size
        self.width = width
        self.height = height
        self.url = url
    }

    func write(to writer: inout JSONWriter) {
        writer.object { object in
            object.member("height", height)
            object.member("size", size)
            object.member("type", type)
            object.member("url", url)
            object.member("uuid", uuid)
            object.member("width", width)
        }
    }

    init(reader: FieldReader) throws(OpenIMContentError) {
        uuid = try reader.optionalString("uuid") ?? ""
        type = try reader.optionalString("type") ?? ""
        size = try reader.optionalInteger("size", in: 0...Int64.max) ?? 0
        width = Int32(try reader.optionalInteger("width", in: 0...Int64(Int32.max)) ?? 0)
        height = Int32(try reader.optionalInteger("height", in: 0...Int64(Int32.max)) ?? 0)
        url = try reader.optionalString("url") ?? ""
    }

    /// Checks what `/msg/send_msg` requires of every rendition: type, width, height and url.
    func validateForSend(path: String) throws(OpenIMContentError) {
        if type.isEmpty { throw .missingField("\(path).type") }
        if width <= 0 { throw .invalidValue(field: "\(path).width", reason: "must be greater than 0") }
        if height <= 0 { throw .invalidValue(field: "\(path).height", reason: "must be greater than 0") }
        if url.isEmpty { throw .missingField("\(path).url") }
    }
}

/// Picture message content (102).
public struct PictureElem: Codable, Sendable, Equatable {
    public var sourcePath: String
    public var sourcePicture: PictureBaseInfo
    public var bigPicture: PictureBaseInfo
    public var snapshotPicture: PictureBaseInfo

    public init(sourcePath: String = "", sourcePicture: PictureBaseInfo, bigPicture: PictureBaseInfo, snapshotPicture: PictureBaseInfo) {
        self.sourcePath = sourcePath
        self.sourcePicture = sourcePicture
        self.bigPicture = bigPicture
        self.snapshotPicture = snapshotPicture
    }

    func write(to writer: inout JSONWriter) {
        writer.object { object in
            object.member("bigPicture") { bigPicture.write(to: &$0) }
            object.member("snapshotPicture") { snapshotPicture.write(to: &$0) }
            object.member("sourcePath", sourcePath)
            object.member("sourcePicture") { sourcePicture.write(to: &$0) }
        }
    }

    /// Reads a picture elem as SDKs send it (absent renditions read as empty).
    public init(reader: FieldReader) throws(OpenIMContentError) {
        let empty = try FieldReader(.object([]), path: "")
        sourcePath = try reader.optionalString("sourcePath") ?? ""
        sourcePicture = try PictureBaseInfo(reader: reader.optionalObject("sourcePicture") ?? empty)
        bigPicture = try PictureBaseInfo(reader: reader.optionalObject("bigPicture") ?? empty)
        snapshotPicture = try PictureBaseInfo(reader: reader.optionalObject("snapshotPicture") ?? empty)
    }

    func validateForSend(path: String) throws(OpenIMContentError) {
        try sourcePicture.validateForSend(path: "\(path).sourcePicture")
        try bigPicture.validateForSend(path: "\(path).bigPicture")
        try snapshotPicture.validateForSend(path: "\(path).snapshotPicture")
    }
}

/// Voice message content (103). `sourceUrl` and `duration` (seconds, at least 1) are required by `/msg/send_msg`.
public struct SoundElem: Codable, Sendable, Equatable {
    public var uuid: String
    public var soundPath: String
    public var sourceUrl: String
    public var dataSize: Int64
    public var duration: Int64

    public init(uuid: String, soundPath: String = "", sourceUrl: String, dataSize: Int64, duration: Int64) {
        self.uuid = uuid
        self.soundPath = soundPath
        self.sourceUrl = sourceUrl
        self.dataSize = dataSize
        self.duration = duration
    }

    func write(to writer: inout JSONWriter) {
        writer.object { object in
            object.member("dataSize", dataSize)
            object.member("duration", duration)
            object.member("soundPath", soundPath)
            object.member("sourceUrl", sourceUrl)
            object.member("uuid", uuid)
        }
    }

    init(reader: FieldReader) throws(OpenIMContentError) {
        uuid = try reader.optionalString("uuid") ?? ""
        soundPath = try reader.optionalString("soundPath") ?? ""
        sourceUrl = try reader.optionalString("sourceUrl") ?? ""
        dataSize = try reader.optionalInteger("dataSize", in: 0...Int64.max) ?? 0
        duration = try reader.optionalInteger("duration", in: 0...Int64.max) ?? 0
    }

    func validateForSend(path: String) throws(OpenIMContentError) {
        if sourceUrl.isEmpty { throw .missingField("\(path).sourceUrl") }
        if duration < 1 { throw .invalidValue(field: "\(path).duration", reason: "must be at least 1") }
    }
}

/// Video message content (104). Note OpenIM's casing: `videoUrl`, `snapshotUrl`, `videoUUID`.
public struct VideoElem: Codable, Sendable, Equatable {
    public var videoPath: String
    public var videoUUID: String
    public var videoUrl: String
    public var videoType: String
    public var videoSize: Int64
    public var duration: Int64
    public var snapshotPath: String
    public var snapshotUUID: String
    public var snapshotSize: Int64
    public var snapshotUrl: String
    public var snapshotWidth: Int32
    public var snapshotHeight: Int32
    public var snapshotType: String

    public init(
        videoUUID: String, videoUrl: String, videoType: String, videoSize: Int64, duration: Int64,
        snapshotUUID: String, snapshotSize: Int64, snapshotUrl: String, snapshotWidth: Int32, snapshotHeight: Int32,
        snapshotType: String, videoPath: String = "", snapshotPath: String = ""
    ) {
        self.videoPath = videoPath
        self.videoUUID = videoUUID
        self.videoUrl = videoUrl
        self.videoType = videoType
        self.videoSize = videoSize
        self.duration = duration
        self.snapshotPath = snapshotPath
        self.snapshotUUID = snapshotUUID
        self.snapshotSize = snapshotSize
        self.snapshotUrl = snapshotUrl
        self.snapshotWidth = snapshotWidth
        self.snapshotHeight = snapshotHeight
        self.snapshotType = snapshotType
    }

    func write(to writer: inout JSONWriter) {
        writer.object { object in
            object.member("duration", duration)
            object.member("snapshotHeight", snapshotHeight)
            object.member("snapshotPath", snapshotPath)
            object.member("snapshotSize", snapshotSize)
            object.member("snapshotType", snapshotType)
            object.member("snapshotUUID", snapshotUUID)
            object.member("snapshotUrl", snapshotUrl)
            object.member("snapshotWidth", snapshotWidth)
            object.member("videoPath", videoPath)
            object.member("videoSize", videoSize)
            object.member("videoType", videoType)
            object.member("videoUUID", videoUUID)
            object.member("videoUrl", videoUrl)
        }
    }

    init(reader: FieldReader) throws(OpenIMContentError) {
        videoPath = try reader.optionalString("videoPath") ?? ""
        videoUUID = try reader.optionalString("videoUUID") ?? ""
        videoUrl = try reader.optionalString("videoUrl") ?? ""
        videoType = try reader.optionalString("videoType") ?? ""
        videoSize = try reader.optionalInteger("videoSize", in: 0...Int64.max) ?? 0
        duration = try reader.optionalInteger("duration", in: 0...Int64.max) ?? 0
        snapshotPath = try reader.optionalString("snapshotPath") ?? ""
        snapshotUUID = try reader.optionalString("snapshotUUID") ?? ""
        snapshotSize = try reader.optionalInteger("snapshotSize", in: 0...Int64.max) ?? 0
        snapshotUrl = try reader.optionalString("snapshotUrl") ?? ""
        snapshotWidth = Int32(try reader.optionalInteger("snapshotWidth", in: 0...Int64(Int32.max)) ?? 0)
        snapshotHeight = Int32(try reader.optionalInteger("snapshotHeight", in: 0...Int64(Int32.max)) ?? 0)
        snapshotType = try reader.optionalString("snapshotType") ?? ""
    }

    func validateForSend(path: String) throws(OpenIMContentError) {
        if videoUrl.isEmpty { throw .missingField("\(path).videoUrl") }
        if videoType.isEmpty { throw .missingField("\(path).videoType") }
        if videoSize <= 0 { throw .invalidValue(field: "\(path).videoSize", reason: "must be greater than 0") }
        if duration <= 0 { throw .invalidValue(field: "\(path).duration", reason: "must be greater than 0") }
        if snapshotUrl.isEmpty { throw .missingField("\(path).snapshotUrl") }
        if snapshotWidth <= 0 { throw .invalidValue(field: "\(path).snapshotWidth", reason: "must be greater than 0") }
        if snapshotHeight <= 0 { throw .invalidValue(field: "\(path).snapshotHeight", reason: "must be greater than 0") }
    }
}

/// File message content (105). `sourceUrl`, `fileName` and `fileSize` are required by `/msg/send_msg`.
public struct FileElem: Codable, Sendable, Equatable {
    public var filePath: String
    public var uuid: String
    public var sourceUrl: String
    public var fileName: String
    public var fileSize: Int64
    public var fileType: String

    public init(uuid: String, sourceUrl: String, fileName: String, fileSize: Int64, fileType: String, filePath: String = "") {
        self.filePath = filePath
        self.uuid = uuid
        self.sourceUrl = sourceUrl
        self.fileName = fileName
        self.fileSize = fileSize
        self.fileType = fileType
    }

    func write(to writer: inout JSONWriter) {
        writer.object { object in
            object.member("fileName", fileName)
            object.member("filePath", filePath)
            object.member("fileSize", fileSize)
            object.member("fileType", fileType)
            object.member("sourceUrl", sourceUrl)
            object.member("uuid", uuid)
        }
    }

    init(reader: FieldReader) throws(OpenIMContentError) {
        filePath = try reader.optionalString("filePath") ?? ""
        uuid = try reader.optionalString("uuid") ?? ""
        sourceUrl = try reader.optionalString("sourceUrl") ?? ""
        fileName = try reader.optionalString("fileName") ?? ""
        fileSize = try reader.optionalInteger("fileSize", in: 0...Int64.max) ?? 0
        fileType = try reader.optionalString("fileType") ?? ""
    }

    func validateForSend(path: String) throws(OpenIMContentError) {
        if sourceUrl.isEmpty { throw .missingField("\(path).sourceUrl") }
        if fileName.isEmpty { throw .missingField("\(path).fileName") }
        if fileSize <= 0 { throw .invalidValue(field: "\(path).fileSize", reason: "must be greater than 0") }
    }
}

/// Custom message content (110): three strings, conventionally stringified JSON. `data` must be non-empty.
public struct CustomElem: Codable, Sendable, Equatable {
    public var data: String
    public var description: String
    public var `extension`: String

    public init(data: String, description: String, extension: String) {
        self.data = data
        self.description = description
        self.extension = `extension`
    }

    func write(to writer: inout JSONWriter) {
        writer.object { object in
            object.member("data", data)
            object.member("description", description)
            object.member("extension", `extension`)
        }
    }

    /// Reads a custom elem as SDKs send it (they omit empty strings).
    public init(reader: FieldReader) throws(OpenIMContentError) {
        data = try reader.optionalString("data") ?? ""
        description = try reader.optionalString("description") ?? ""
        `extension` = try reader.optionalString("extension") ?? ""
    }

    func validateForSend(path: String) throws(OpenIMContentError) {
        if data.isEmpty { throw .missingField("\(path).data") }
    }
}

/// Face message content (115). OpenIM's REST API cannot send it; only client SDKs create it. The demo clients send
/// `index: -1` with `data` = `{"url","width","height"}`.
public struct FaceElem: Codable, Sendable, Equatable {
    public var index: Int64
    public var data: String

    public init(index: Int64, data: String) {
        self.index = index
        self.data = data
    }

    func write(to writer: inout JSONWriter) {
        writer.object { object in
            object.member("data", data)
            object.member("index", index)
        }
    }

    /// Reads a face elem as SDKs send it.
    public init(reader: FieldReader) throws(OpenIMContentError) {
        index = try reader.optionalInteger("index") ?? 0
        data = try reader.optionalString("data") ?? ""
    }
}

/// Offline push text. Without a title OpenIM pushes the fixed label "[NEWMSG]" for custom messages.
public struct OfflinePushInfo: Codable, Sendable, Equatable {
    public var title: String
    public var desc: String
    public var ex: String
    public var iOSPushSound: String
    public var iOSBadgeCount: Bool

    public init(title: String, desc: String, ex: String = "", iOSPushSound: String = "default", iOSBadgeCount: Bool = true) {
        self.title = title
        self.desc = desc
        self.ex = ex
        self.iOSPushSound = iOSPushSound
        self.iOSBadgeCount = iOSBadgeCount
    }

    func write(to writer: inout JSONWriter) {
        writer.object { object in
            object.member("desc", desc)
            object.member("ex", ex)
            object.member("iOSBadgeCount", iOSBadgeCount)
            object.member("iOSPushSound", iOSPushSound)
            object.member("title", title)
        }
    }
}
