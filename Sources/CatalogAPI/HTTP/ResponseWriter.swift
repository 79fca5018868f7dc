import CatalogCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Renders a response's status line and fields as HTTP/1.1 bytes, as NIO's response encoder does for the same
/// `HTTPResponse` (the status's reason phrase, fields in order under their original names).
enum ResponseWriter {
    /// Bodies up to this size are copied after the head into one buffer; bigger ones are written as they are.
    static let copiedBodyBytes = 16 * 1024

    /// The status line and every field line, without the empty line that ends the head (rendered once, for the
    /// byte lane to add the per-request fields to).
    static func statusAndFields(_ response: PlainResponse) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 512)
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
