import CatalogCore
import Hummingbird
import NIOCore

/// Reading small JSON request bodies: the media type is checked first, and the size limit while streaming.
enum JSONRequest {
    /// The body of `request` when it is `application/json` (or `+json`), at most `limit` bytes.
    static func body(_ request: Request, limit: Int) async throws -> [UInt8] {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard mediaType == "application/json" || mediaType.hasSuffix("+json") else {
            throw Problem.unsupportedMediaType("Send the body as application/json.")
        }
        return try await UploadReader.collect(request.body, limit: limit)
    }

    /// A JSON response that is never cached.
    static func response(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
