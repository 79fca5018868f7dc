import CatalogCore
import Hummingbird
import NIOCore

/// Reading small JSON request bodies: the media type is checked first, and the size limit while streaming.
enum JSONRequest {
    /// The body of `request` when it is `application/json` (or `+json`), at most `limit` bytes.
    static func body(_ request: Request, limit: Int) async throws -> [UInt8] {
        guard isJSON(request.headers) else {
            throw Problem.unsupportedMediaType("Send the body as application/json.")
        }
        return try await UploadReader.collect(request.body, limit: limit)
    }

    /// Whether Content-Type says JSON (`application/json` or any `+json` type, parameters ignored).
    static func isJSON(_ headers: HTTPFields) -> Bool {
        let mediaType = headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        return mediaType == "application/json" || mediaType.hasSuffix("+json")
    }

    /// A JSON response that is never cached.
    static func response(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var response = PlainResponse.json(bytes, headers: extra)
        response.status = status
        return response.response
    }
}
