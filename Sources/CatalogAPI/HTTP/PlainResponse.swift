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

/// Renders a response's status line and fields as HTTP/1.1 bytes, as NIO's response encoder does for the same
/// `HTTPResponse` (the status's reason phrase, fields in order under their original names).
enum ResponseWriter {
    /// Bodies up to this size are copied after the head into one buffer; bigger ones are written as they are.
    static let copiedBodyBytes = 16 * 1024

    /// The status line and every field line, without the empty line that ends the head (rendered once, for the
    /// byte lane to add the per-request fields to).
    static func statusAndFields(_ response: PlainResponse) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeStaticString("HTTP/1.1 ")
        let code = response.status.code
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code / 100 % 10))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code / 10 % 10))
        buffer.writeInteger(UInt8(ascii: "0") + UInt8(code % 10))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(response.status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        for field in response.headers {
            buffer.writeString(field.name.rawName)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        return buffer
    }
}

/// The `Date` header value, formatted at most once per second.
enum HTTPDateCache {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    static func now() -> String {
        let second = time(nil)
        return cache.withLock { cached in
            if cached.second != second {
                cached = (second, HTTPDate.format(Date(timeIntervalSince1970: TimeInterval(second))))
            }
            return cached.text
        }
    }
}
