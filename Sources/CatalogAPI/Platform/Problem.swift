import HTTPTypes
import CatalogCore
import Hummingbird
import OpenIMContent

/// An RFC 9457 problem: every error response of the service is one, as `application/problem+json`.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    public var type: String
    public var title: String
    public var detail: String?
    /// Field-level problems: `field` is a path (`stickers[2].emojis`) or a file name.
    public var errors: [FieldIssue]
    /// Extra response headers (Retry-After, ETag, Allow …).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, type: String = "about:blank", title: String? = nil, detail: String? = nil, errors: [FieldIssue] = [], headers: HTTPFields = [:]) {
        self.status = status
        self.type = type
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    static func kind(_ name: String) -> String { "urn:catalog-service:problem:\(name)" }

    public static func badRequest(_ detail: String, errors: [FieldIssue] = []) -> Problem {
        Problem(.badRequest, type: kind("bad-request"), title: "The request is malformed", detail: detail, errors: errors)
    }
    public static func validation(_ errors: [FieldIssue], detail: String = "Some fields or files break the rules; see errors.") -> Problem {
        Problem(.unprocessableContent, type: kind("validation"), title: "Validation failed", detail: detail, errors: errors)
    }
    public static func conflict(_ errors: [FieldIssue]) -> Problem {
        Problem(.conflict, type: kind("conflict"), title: "Conflict with stored data", detail: errors.map(\.message).joined(separator: "; "), errors: errors)
    }
    public static func notFound(_ detail: String) -> Problem {
        Problem(.notFound, type: kind("not-found"), title: "Not found", detail: detail)
    }
    public static func unauthorized(_ detail: String) -> Problem {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer realm=\"catalog-service\""
        return Problem(.unauthorized, type: kind("unauthorized"), title: "Authentication required", detail: detail, headers: headers)
    }
    public static func forbidden(_ detail: String) -> Problem {
        Problem(.forbidden, type: kind("forbidden"), title: "Not allowed for this token", detail: detail)
    }
    public static func preconditionFailed(currentETag: String) -> Problem {
        var headers = HTTPFields()
        headers[.eTag] = currentETag
        return Problem(.preconditionFailed, type: kind("stale-etag"), title: "The resource changed",
                       detail: "If-Match does not match the current ETag \(currentETag); fetch it again and retry.", headers: headers)
    }
    public static func payloadTooLarge(limit: Int) -> Problem {
        Problem(.contentTooLarge, type: kind("too-large"), title: "Request body too large", detail: "The body exceeds the limit of \(limit) bytes.")
    }
    public static func unsupportedMediaType(_ detail: String) -> Problem {
        Problem(.unsupportedMediaType, type: kind("unsupported-media-type"), title: "Unsupported media type", detail: detail)
    }
    /// A known path asked with a method it does not answer (RFC 9110 §15.5.6: `Allow` lists the ones it does).
    public static func methodNotAllowed(allowed: Set<HTTPRequest.Method>) -> Problem {
        let names = allowed.map(\.rawValue).sorted()
        var headers = HTTPFields()
        headers[.allow] = names.joined(separator: ", ")
        return Problem(.methodNotAllowed, type: kind("method-not-allowed"), title: "Method Not Allowed",
                       detail: "This path answers \(names.joined(separator: ", ")).", headers: headers)
    }
    public static func unavailable(_ detail: String) -> Problem {
        var headers = HTTPFields()
        headers[.retryAfter] = "5"
        return Problem(.serviceUnavailable, type: kind("unavailable"), title: "Temporarily unavailable", detail: detail, headers: headers)
    }
    public static let internalError = Problem(.internalServerError, type: "about:blank", title: "Internal Server Error",
                                              detail: "The service failed to handle the request; it has been logged.")

    /// The problem's JSON bytes (sorted keys).
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter(capacity: 256)
        write(to: &writer)
        return writer.bytes
    }

    /// Writes the problem object (sorted keys), e.g. as one failed item of a batch.
    public func write(to writer: inout JSONWriter) {
        writer.object { object in
            object.member("detail", detail)
            if !errors.isEmpty {
                object.member("errors") { list in
                    list.array(errors) { array, issue in
                        array.object { item in
                            item.member("field", issue.field)
                            item.member("message", issue.message)
                        }
                    }
                }
            }
            object.member("status", Int(status.code))
            object.member("title", title)
            object.member("type", type)
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        fields[.cacheControl] = "no-store"
        let body = request.method == .head ? ResponseBody() : ResponseBody(byteBuffer: ByteBuffer(bytes: jsonBytes))
        return Response(status: status, headers: fields, body: body)
    }
}

extension Problem {
    /// The problem for a refused pack write.
    init(_ error: PackValidationError) {
        switch error.kind {
        case .malformed: self = .badRequest(error.issues.map { "\($0.field) \($0.message)" }.joined(separator: "; "), errors: error.issues)
        case .invalid: self = .validation(error.issues)
        case .conflict: self = .conflict(error.issues)
        }
    }
}
