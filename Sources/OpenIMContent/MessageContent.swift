/// The `content` object of a message together with its content type.
public enum MessageContent: Sendable, Equatable {
    case text(TextElem)
    case picture(PictureElem)
    case sound(SoundElem)
    case video(VideoElem)
    case file(FileElem)
    case custom(CustomElem)
    case face(FaceElem)

    /// OpenIM's content type code for this content.
    public var contentType: ContentType {
        switch self {
        case .text: return .text
        case .picture: return .picture
        case .sound: return .sound
        case .video: return .video
        case .file: return .file
        case .custom: return .custom
        case .face: return .face
        }
    }

    /// Writes the content as a JSON object.
    public func write(to writer: inout JSONWriter) {
        switch self {
        case .text(let elem): elem.write(to: &writer)
        case .picture(let elem): elem.write(to: &writer)
        case .sound(let elem): elem.write(to: &writer)
        case .video(let elem): elem.write(to: &writer)
        case .file(let elem): elem.write(to: &writer)
        case .custom(let elem): elem.write(to: &writer)
        case .face(let elem): elem.write(to: &writer)
        }
    }

    /// The content as compact JSON bytes with sorted keys.
    public var jsonBytes: [UInt8] {
        var capacity = 512
        if case .custom(let elem) = self {
            // `data` is JSON inside a string: its quotes gain a backslash each.
            capacity = 64 + elem.data.utf8.count * 5 / 4 + elem.description.utf8.count + elem.extension.utf8.count * 5 / 4
        }
        var writer = JSONWriter(capacity: capacity)
        write(to: &writer)
        return writer.bytes
    }

    /// Reads content of `contentType` from its JSON object. Types we do not model are refused.
    public init(contentType: Int32, json: JSONValue, path: String = "content") throws(OpenIMContentError) {
        let reader = try FieldReader(json, path: path)
        switch ContentType(rawValue: contentType) {
        case .text: self = .text(TextElem(content: try reader.optionalString("content") ?? ""))
        case .picture: self = .picture(try PictureElem(reader: reader))
        case .sound: self = .sound(try SoundElem(reader: reader))
        case .video: self = .video(try VideoElem(reader: reader))
        case .file: self = .file(try FileElem(reader: reader))
        case .custom: self = .custom(try CustomElem(reader: reader))
        case .face: self = .face(try FaceElem(reader: reader))
        default: throw .invalidValue(field: "contentType", reason: "\(contentType) is not a content type this library models")
        }
    }

    /// Checks the rules `/msg/send_msg` applies to this content (`pkg/apistruct/msg.go` validate tags).
    public func validateForSend(path: String = "content") throws(OpenIMContentError) {
        switch self {
        case .text(let elem): if elem.content.isEmpty { throw .missingField("\(path).content") }
        case .picture(let elem): try elem.validateForSend(path: path)
        case .sound(let elem): try elem.validateForSend(path: path)
        case .video(let elem): try elem.validateForSend(path: path)
        case .file(let elem): try elem.validateForSend(path: path)
        case .custom(let elem): try elem.validateForSend(path: path)
        case .face: throw .notSendableViaREST(contentType: ContentType.face.rawValue)
        }
    }
}
