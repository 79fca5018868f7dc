import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// A request head read straight from a connection's bytes, as the HTTP/1 decoder and Hummingbird's conversion would
/// have handed it to the router.
struct RawRequestHead {
    var request: HTTPRequest
    /// Bytes up to and including the empty line.
    var length: Int
    /// The body's length (`Content-Length`; 0 without one).
    var contentLength: Int
}

/// Reads only what is unambiguous: an HTTP/1.1 GET, HEAD or POST in origin form, headers of printable ASCII, one
/// `Host`, a body framed by one `Content-Length` (POST only). Anything else — other methods or versions,
/// `Transfer-Encoding`, `Connection`, `Expect`, `Upgrade`, obs-fold, bare LF, control or non-ASCII bytes, oversize
/// heads — is declined, and the request goes to the HTTP/1 decoder and the router, which answer it (and refuse
/// what is malformed) exactly as if the lane did not exist.
enum RawRequestParser {
    enum Outcome {
        case incomplete
        case decline
        case head(RawRequestHead)
    }

    static let maximumHeadBytes = 8192
    static let maximumHeaderLines = 64
    static let maximumTargetBytes = 2048

    private static let hostField = HTTPField.Name("Host")!
    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    static func parse(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard let length = headLength(bytes) else { return bytes.count > maximumHeadBytes ? .decline : .incomplete }
        guard length <= maximumHeadBytes, let line = requestLine(bytes) else { return .decline }
        var fields = HTTPFields()
        var host: String?
        var contentLength: Int?
        let wellFormed = scanFields(bytes, from: line.fieldsStart, headLength: length) { nameRange, valueRange in
            guard let name = HTTPField.Name(text(bytes, nameRange)) else { return false }
            let value = text(bytes, valueRange)
            switch name {
            case hostField:
                guard host == nil else { return false }
                host = value
                return true  // the conversion moves the first Host into the authority
            case .contentLength:
                guard contentLength == nil, let number = decimal(UnsafeBufferPointer(rebasing: bytes.bindMemory(to: UInt8.self)[valueRange])) else { return false }
                contentLength = number
            case .transferEncoding, .connection, .expect, .upgrade, .te, .trailer:
                return false
            default:
                break
            }
            fields.append(HTTPField(name: name, value: value))
            return true
        }
        guard wellFormed, let host, (line.method == .post) == (contentLength != nil) else { return .decline }
        let request = HTTPRequest(method: line.method, scheme: "http", authority: host, path: text(bytes, line.target), headerFields: fields)
        return .head(RawRequestHead(request: request, length: length, contentLength: contentLength ?? 0))
    }

    /// A request line the lane reads: GET, HEAD or POST, an origin-form target of printable ASCII, HTTP/1.1.
    struct RequestLine {
        var method: HTTPRequest.Method
        var target: Range<Int>
        /// Where the first field line starts.
        var fieldsStart: Int
    }

    /// The request line at the start of a complete head (`headLength` found its end), nil to decline.
    static func requestLine(_ bytes: UnsafeRawBufferPointer) -> RequestLine? {
        var index: Int
        let method: HTTPRequest.Method
        if has(bytes, "GET ", at: 0) {
            (method, index) = (.get, 4)
        } else if has(bytes, "HEAD ", at: 0) {
            (method, index) = (.head, 5)
        } else if has(bytes, "POST ", at: 0) {
            (method, index) = (.post, 5)
        } else {
            return nil
        }
        let targetStart = index
        while index < bytes.count, bytes[index] != UInt8(ascii: " ") {
            guard bytes[index] > 0x20, bytes[index] < 0x7F else { return nil }
            index += 1
        }
        guard index > targetStart, bytes[targetStart] == UInt8(ascii: "/"), index - targetStart <= maximumTargetBytes,
              has(bytes, " HTTP/1.1\r\n", at: index)
        else { return nil }
        return RequestLine(method: method, target: targetStart..<index, fieldsStart: index + 11)
    }

    /// Checks the field lines from `start` to the head's empty line and calls `field` with each name and value (its
    /// surrounding whitespace left out); false when a line is malformed, there are too many, or `field` says false.
    /// `name ":" OWS value OWS CRLF`, no obs-fold (a line starting with whitespace), printable ASCII and HTAB only.
    static func scanFields(
        _ bytes: UnsafeRawBufferPointer, from start: Int, headLength length: Int, field: (_ name: Range<Int>, _ value: Range<Int>) -> Bool
    ) -> Bool {
        var index = start
        var lines = 0
        let headersEnd = length - 2  // the empty line's CRLF
        while index < headersEnd {
            lines += 1
            guard lines <= maximumHeaderLines else { return false }
            let nameStart = index
            while index < headersEnd, isTokenByte(bytes[index]) { index += 1 }
            guard index > nameStart, index < headersEnd, bytes[index] == UInt8(ascii: ":") else { return false }
            let nameEnd = index
            index += 1
            while index < headersEnd, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
            let valueStart = index
            var valueEnd = index
            while index < headersEnd, bytes[index] != cr {
                let byte = bytes[index]
                guard (byte >= 0x20 && byte < 0x7F) || byte == 0x09 else { return false }
                index += 1
                if byte != 0x20, byte != 0x09 { valueEnd = index }
            }
            guard index + 1 < length, bytes[index] == cr, bytes[index + 1] == lf else { return false }
            index += 2
            guard field(nameStart..<nameEnd, valueStart..<valueEnd) else { return false }
        }
        return true
    }

    private static func text(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The length of the head (through its empty line), if it is all there.
    static func headLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = 3
        while index < bytes.count {
            // Step by the position of the last byte of "\r\n\r\n".
            let byte = bytes[index]
            if byte == lf {
                if bytes[index - 1] == cr, bytes[index - 2] == lf, bytes[index - 3] == cr { return index + 1 }
                index += 2
            } else if byte == cr {
                index += 1
            } else {
                index += 4
            }
        }
        return nil
    }

    private static func has(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString, at offset: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        return memcmp(bytes.baseAddress! + offset, literal.utf8Start, count) == 0
    }

    /// RFC 9110 tchar.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// A Content-Length value: 1 to 9 digits.
    static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard (1...9).contains(bytes.count) else { return nil }
        var number = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            number = number * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return number
    }
}

/// Writes a response as HTTP/1.1 bytes, as NIO's response encoder does for the same `HTTPResponse` (status line
/// with the status's reason phrase, fields in order under their original names, the empty line, the body).
enum ResponseWriter {
    /// Bodies up to this size are copied after the head into one buffer; bigger ones are written as they are.
    static let copiedBodyBytes = 16 * 1024

    static func head(_ response: PlainResponse, into buffer: inout ByteBuffer) {
        statusAndFields(response, into: &buffer)
        buffer.writeStaticString("\r\n")
    }

    /// The status line and every field line, without the empty line that ends the head (rendered once, for raw
    /// routes to add the per-request fields to).
    static func statusAndFields(_ response: PlainResponse) -> ByteBuffer {
        var buffer = ByteBuffer()
        statusAndFields(response, into: &buffer)
        return buffer
    }

    /// The status line and every field line, without the empty line that ends the head.
    static func statusAndFields(_ response: PlainResponse, into buffer: inout ByteBuffer) {
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
    }
}

/// The first handler on a connection: answers the fast lane's routes straight from the bytes, before the HTTP/1
/// decoder, Hummingbird's codec and the connection-state handler ever see them.
///
/// It owns a connection from its start: complete requests it can read (`RawRequestParser`) for a route whose
/// handler answers are answered in arrival order, pipelined ones in one flush — by a raw route (`RawRoutes`) when one
/// takes the request, else by the fast lane's route handler. The first request it cannot or will
/// not answer — declined by the parser, no route, the handler declines, or the client not reading its answers — is
/// passed to the decoder with every byte after it, and from then on the connection belongs to the router (and to the
/// `FastLaneHandler` behind the decoder), so answers never overtake each other. Each answer pulses the
/// `LaneActivityRelay` (at most once per `pulseInterval`), so Hummingbird's idle timer sees a busy connection as busy; graceful
/// shutdown closes a lane connection between requests, as it does an idle router connection.
final class ByteLaneHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let lane: FastLane
    private let relay: LaneActivityRelay
    private let answered: FastLaneCounter
    private let pulseInterval: TimeAmount
    /// Bytes of a request not complete yet.
    private var partial: ByteBuffer?
    /// The router owns the connection now.
    private var forwarding = false
    private var unflushed = false
    private var lastPulse = NIODeadline.uptimeNanoseconds(0)
    private var rawState = RawRoutes.ConnectionState()

    /// `pulseInterval` must be well under the idle timeout (a quarter of it, at most a second, is what the
    /// installer gives): the idle timer closes a connection whose last activity is a whole timeout old.
    init(lane: FastLane, relay: LaneActivityRelay, answered: FastLaneCounter, pulseInterval: TimeAmount) {
        self.lane = lane
        self.relay = relay
        self.answered = answered
        self.pulseInterval = pulseInterval
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !forwarding else { return context.fireChannelRead(data) }
        var bytes = unwrapInboundIn(data)
        if var earlier = partial {
            partial = nil
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        while bytes.readableBytes > 0 {
            guard context.channel.isWritable else { return handOver(bytes, context: context) }
            let start = DispatchTime.now().uptimeNanoseconds
            if let raw = lane.raw,
               case .answered(let consumed, let head, let body) = bytes.withUnsafeReadableBytes({
                   raw.answer($0, startNanoseconds: start, allocator: context.channel.allocator, connection: &rawState)
               })
            {
                bytes.moveReaderIndex(forwardBy: consumed)
                answered.increment()
                send(head, body: body, context: context)
                continue
            }
            switch bytes.withUnsafeReadableBytes({ RawRequestParser.parse($0) }) {
            case .incomplete:
                partial = bytes
                return
            case .decline:
                return handOver(bytes, context: context)
            case .head(let head):
                guard let (route, captures) = lane.route(for: head.request), head.contentLength <= route.maximumBodyBytes else {
                    return handOver(bytes, context: context)
                }
                guard bytes.readableBytes >= head.length + head.contentLength else {
                    partial = bytes
                    return
                }
                let body = bytes.getSlice(at: bytes.readerIndex + head.length, length: head.contentLength) ?? ByteBuffer()
                guard let response = lane.answer(route, head: head.request, captures: captures, body: body, startNanoseconds: start) else {
                    return handOver(bytes, context: context)
                }
                bytes.moveReaderIndex(forwardBy: head.length + head.contentLength)
                answered.increment()
                write(response, context: context)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
        if forwarding {
            context.fireChannelReadComplete()
        } else {
            // Until the hand-over the handlers behind have been given no read to complete. Asking for the next read
            // here, next to the head, spares NIO's own request for it a walk through every handler of the pipeline
            // (NIO asks only when no read is pending): the same read, a twentieth of a 304's CPU less.
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A half-closed input with part of a request buffered: the decoder gets the bytes first, as without the lane.
        if !forwarding, let bytes = partial, case ChannelEvent.inputClosed = event {
            handOver(bytes, context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The router takes the connection from this request on.
    private func handOver(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        forwarding = true
        partial = nil
        if unflushed {
            unflushed = false
            context.flush()
        }
        if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
    }

    private func write(_ response: PlainResponse, context: ChannelHandlerContext) {
        let body = response.body
        let copied = (body?.readableBytes ?? 0) <= ResponseWriter.copiedBodyBytes
        var buffer = context.channel.allocator.buffer(capacity: 512 + (copied ? body?.readableBytes ?? 0 : 0))
        ResponseWriter.head(response, into: &buffer)
        if copied, let body { buffer.writeImmutableBuffer(body) }
        send(buffer, body: copied ? nil : body, context: context)
    }

    /// Writes an answer (flushed at the end of the read) and pulses the idle timer when due.
    private func send(_ head: ByteBuffer, body: ByteBuffer?, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(head), promise: nil)
        if let body { context.write(wrapOutboundOut(body), promise: nil) }
        unflushed = true
        let now = NIODeadline.now()
        if now - lastPulse >= pulseInterval {
            lastPulse = now
            relay.pulse()
        }
    }
}

/// Sits just before Hummingbird's `HTTPConnectionStateHandler` so that requests the byte lane answered count as
/// activity for the idle timer: a pulse is a request head and end that only the state handler and the
/// `FastLaneHandler` behind it see (it answers with an end, which the relay drops here, before Hummingbird's codec).
/// Whether a part is a pulse is known from `pulsing`, never from its content, so no client request can pass for one.
final class LaneActivityRelay: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var context: ChannelHandlerContext?
    /// A pulse is passing through the state handler (set only for the synchronous length of `pulse()`).
    private(set) var pulsing = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func pulse() {
        guard let context else { return }
        pulsing = true
        defer { pulsing = false }
        context.fireChannelRead(wrapInboundOut(.head(HTTPRequest(method: .get, scheme: nil, authority: nil, path: "*"))))
        context.fireChannelRead(wrapInboundOut(.end(nil)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if pulsing {
            promise?.succeed(())
            return
        }
        context.write(data, promise: promise)
    }
}
