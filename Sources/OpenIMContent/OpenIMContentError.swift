/// Why an OpenIM body or one of our payloads could not be encoded or decoded.
public enum OpenIMContentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not one valid JSON document.
    case malformedJSON(String)
    /// A required field is absent (the path names it, e.g. `content.data.url`).
    case missingField(String)
    /// A field has the wrong JSON type or an integer was expected.
    case wrongType(field: String, expected: String)
    /// A field is present and typed right but its value is not allowed.
    case invalidValue(field: String, reason: String)
    /// The payload's `type` is not one we know.
    case unknownPayloadType(String)
    /// The payload's schema version is newer (or older) than this library understands.
    case unsupportedVersion(Int64)
    /// The payload or content exceeds its byte limit.
    case tooLarge(field: String, size: Int, limit: Int)
    /// OpenIM's `/msg/send_msg` rejects this content type (115 face among them).
    case notSendableViaREST(contentType: Int32)
    /// The message is not one of ours (e.g. a face message whose data does not point at a URL).
    case notCatalogContent(String)

    public var description: String {
        switch self {
        case .malformedJSON(let reason): return "malformed JSON: \(reason)"
        case .missingField(let field): return "missing field \(field)"
        case .wrongType(let field, let expected): return "\(field) must be \(expected)"
        case .invalidValue(let field, let reason): return "\(field) \(reason)"
        case .unknownPayloadType(let type): return "unknown payload type \"\(type)\""
        case .unsupportedVersion(let version): return "unsupported payload version \(version)"
        case .tooLarge(let field, let size, let limit): return "\(field) is \(size) bytes, over the \(limit)-byte limit"
        case .notSendableViaREST(let type):
            return "content type \(type) cannot be sent through OpenIM's /msg/send_msg (it accepts 101-106, 110, 114, 118 and 1400)"
        case .notCatalogContent(let reason): return "not catalog content: \(reason)"
        }
    }
}
