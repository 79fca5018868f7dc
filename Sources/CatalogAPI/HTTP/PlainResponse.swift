import CatalogCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// A complete response computed without suspending: route handlers give it to the router as a `Response`, and the
/// byte lane's prepared answers are rendered from it (`ResponseWriter`).
struct PlainResponse {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    /// Nil for no body (304, HEAD): a HEAD answer carries the GET's Content-Length in `headers`.
    var body: ByteBuffer?

    init(status: HTTPResponse.Status, headers: HTTPFields, body: ByteBuffer? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON body that is never cached (what `JSONRequest.response` gives the router).
    static func json(_ bytes: [UInt8], headers extra: HTTPFields = [:]) -> PlainResponse {
        var headers = extra
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return PlainResponse(status: .ok, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    var response: Response {
        Response(status: status, headers: headers, body: body.map { ResponseBody(byteBuffer: $0) } ?? ResponseBody())
    }
}
