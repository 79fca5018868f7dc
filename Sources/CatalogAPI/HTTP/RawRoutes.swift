import CatalogCore
import Foundation
import HTTPTypes
import Logging
import Metrics
import NIOCore

/// The byte lane's route table: every route it answers, and how a request is read for them.
///
/// A request is taken when its head is one `RequestHeadScanner` reads (GET, HEAD or POST; HTTP/1.1, or HTTP/1.0
/// with or without keep-alive) for a route of the table, its fields are plain — `Host` once (HTTP/1.1) or at most
/// once (HTTP/1.0); at most once each `If-None-Match`, `Accept-Encoding`, `X-Request-Id`, `Content-Type`,
/// `Authorization`, `Connection` (`keep-alive`, `close`, in any case, as a list) and `Expect: 100-continue`;
/// `Content-Length` once on a POST and never on a GET or HEAD; no `Transfer-Encoding`, `Upgrade`, `TE` or `Trailer`
/// — and its body fits the route's limit. Everything else — and whatever a route declines — goes to NIO's HTTP/1
/// decoder and the router, which answers it exactly as if the lane did not exist.
final class RawRoutes: Sendable {
    enum Outcome {
        /// For the decoder and the router.
        case notMine
        /// A request being read: wait for more bytes. `sendContinue`: answer `100 Continue` first (the head asked
        /// for it, the route admits the request, and its body is not all there).
        case incomplete(sendContinue: Bool)
        /// `consumed` request bytes answered by `head` and, for bodies too big to copy, `body` written after it;
        /// `close`: the connection ends after this answer.
        case answered(consumed: Int, head: ByteBuffer, body: ByteBuffer?, close: Bool)
    }

    private let routes: [RawRoute]
    /// `Server: …` and its line end.
    private let serverLine: [UInt8]
    private let logger: Logger
    private let accessLog: AccessLog
    let answered: AnswerCounter

    init(routes: [RawRoute], serverName: String, logger: Logger, accessLog: AccessLog, answered: AnswerCounter) {
        self.routes = routes
        self.serverLine = Array("Server: \(serverName)\r\n".utf8)
        self.logger = logger
        self.accessLog = accessLog
        self.answered = answered
    }

    /// What a connection keeps between its requests so that answering one touches no shared counter or lock: a
    /// block of request ids, the `Date` value of the current second, and the metric series it has used.
    struct ConnectionState {
        /// The next id's sequence number and the last one reserved (none at first).
        private var nextID: UInt64 = 1
        private var lastID: UInt64 = 0
        private var second = -1
        private var date = ""
        private var series: [Int: (Counter, Timer)] = [:]

        mutating func newID() -> UInt64 {
            if nextID > lastID {
                let block = RequestLoggingMiddleware.reserveIDs(64)
                (nextID, lastID) = (block.lowerBound, block.upperBound)
            }
            defer { nextID += 1 }
            return nextID
        }

        mutating func writeDate(into buffer: inout ByteBuffer) {
            let now = time(nil)
            if now != second {
                second = now
                date = HTTPDateCache.now()
            }
            buffer.writeString(date)
        }

        mutating func record(route: Int, pattern: String, method: HTTPRequest.Method, status: HTTPResponse.Status, nanoseconds: UInt64) {
            let methodIndex = method == .get ? 0 : method == .head ? 1 : 2
            let key = (route * 3 + methodIndex) * 1000 + status.code
            let (counter, timer) = series[key] ?? {
                let handles = LaneMetrics.shared.handles(route: pattern, method: method, status: status)
                series[key] = handles
                return handles
            }()
            counter.increment()
            timer.recordNanoseconds(Int64(truncatingIfNeeded: nanoseconds))
        }
    }

    /// What the head's fields say beyond `RawFields`.
    private struct HeadFacts {
        var hosts = 0
        var contentLength: Int?
        var close = false
        var keepAlive = false
        var expectsContinue = false
    }

    /// The outcome for the bytes of a connection from the start of a request. `continueSent`: this request has had
    /// its `100 Continue`; `lastAnswer`: the connection closes after this answer whatever the request says
    /// (graceful shutdown).
    func answer(
        _ raw: UnsafeRawBufferPointer, continueSent: Bool, lastAnswer: Bool = false, startNanoseconds: UInt64, allocator: ByteBufferAllocator,
        connection: inout ConnectionState
    ) -> Outcome {
        guard let length = RequestHeadScanner.headLength(raw) else {
            return raw.count > RequestHeadScanner.maximumHeadBytes || RequestHeadScanner.cannotBecomeAHead(raw) ? .notMine : .incomplete(sendContinue: false)
        }
        guard length <= RequestHeadScanner.maximumHeadBytes, let line = RequestHeadScanner.requestLine(raw) else { return .notMine }
        let bytes = raw.bindMemory(to: UInt8.self)
        let target = line.target
        let pathEnd = bytes[target].firstIndex(of: UInt8(ascii: "?")) ?? target.upperBound
        let path = target.lowerBound..<pathEnd
        let query = pathEnd < target.upperBound
            ? (pathEnd + 1)..<(bytes[(pathEnd + 1)..<target.upperBound].firstIndex(of: UInt8(ascii: "#")) ?? target.upperBound) : nil
        guard !bytes[path].contains(UInt8(ascii: "%")) else { return .notMine }
        var found: (index: Int, captures: [Range<Int>])?
        for (index, route) in routes.enumerated() where route.methods.contains(line.method) {
            if let captures = route.match(bytes, path: path) {
                found = (index, captures)
                break
            }
        }
        guard let (routeIndex, captures) = found else { return .notMine }
        let route = routes[routeIndex]

        var facts = HeadFacts()
        var fields = RawFields()
        let plain = RequestHeadScanner.scanFields(raw, from: line.fieldsStart, headLength: length) { nameRange, value in
            let name = UnsafeBufferPointer(rebasing: bytes[nameRange])
            func once(_ slot: inout Range<Int>?) -> Bool {
                guard slot == nil else { return false }
                slot = value
                return true
            }
            switch name.count {
            case 4 where ASCII.equalsIgnoringCase(name, "host"): facts.hosts += 1
            case 13 where ASCII.equalsIgnoringCase(name, "if-none-match"): return once(&fields.ifNoneMatch)
            case 15 where ASCII.equalsIgnoringCase(name, "accept-encoding"): return once(&fields.acceptEncoding)
            case 12 where ASCII.equalsIgnoringCase(name, "x-request-id"): return once(&fields.requestID)
            case 12 where ASCII.equalsIgnoringCase(name, "content-type"): return once(&fields.contentType)
            case 13 where ASCII.equalsIgnoringCase(name, "authorization"): return once(&fields.authorization)
            case 17 where ASCII.equalsIgnoringCase(name, "if-modified-since"): fields.modifiedSince = true
            case 14 where ASCII.equalsIgnoringCase(name, "content-length"):
                guard facts.contentLength == nil, let number = RequestHeadScanner.decimal(UnsafeBufferPointer(rebasing: bytes[value])) else { return false }
                facts.contentLength = number
            case 10 where ASCII.equalsIgnoringCase(name, "connection"):
                guard let options = RequestHeadScanner.connectionOptions(UnsafeBufferPointer(rebasing: bytes[value])) else { return false }
                facts.close = facts.close || options.close
                facts.keepAlive = facts.keepAlive || options.keepAlive
            case 6 where ASCII.equalsIgnoringCase(name, "expect"):
                guard !facts.expectsContinue, ASCII.equalsIgnoringCase(UnsafeBufferPointer(rebasing: bytes[value]), "100-continue") else { return false }
                facts.expectsContinue = true
            // Framing and protocol switches the lane leaves to the decoder.
            case 17 where ASCII.equalsIgnoringCase(name, "transfer-encoding"),
                 7 where ASCII.equalsIgnoringCase(name, "upgrade") || ASCII.equalsIgnoringCase(name, "trailer"),
                 2 where ASCII.equalsIgnoringCase(name, "te"):
                return false
            default: break
            }
            return true
        }
        let bodyLength = facts.contentLength ?? 0
        guard plain, line.isHTTP10 ? facts.hosts <= 1 : facts.hosts == 1, (line.method == .post) == (facts.contentLength != nil),
              bodyLength <= route.maximumBodyBytes
        else { return .notMine }

        let request = RawRequest(bytes: bytes, method: line.method, captures: captures, query: query, fields: fields, body: length..<min(raw.count, length + bodyLength))
        guard raw.count >= length + bodyLength else {
            // An interim answer only to HTTP/1.1 (RFC 9110 §10.1.1), once, and only if the route would take the
            // request: a refusal is the router's, without a 100 before it.
            guard facts.expectsContinue, !line.isHTTP10, !continueSent else { return .incomplete(sendContinue: false) }
            return route.admits(request) ? .incomplete(sendContinue: true) : .notMine
        }
        let suppliedID = fields.requestID.flatMap { RequestLoggingMiddleware.isSane(bytes[$0]) ? $0 : nil }
        let generatedID = suppliedID == nil ? connection.newID() : 0
        let makeLogger = {
            var logger = self.logger
            logger[metadataKey: "request.id"] = .string(suppliedID.map(request.string) ?? RequestLoggingMiddleware.id(generatedID))
            return logger
        }
        guard route.admits(request), let answer = route.respond(request, makeLogger) else { return .notMine }

        let bodyBytes: Int
        switch answer.body {
        case .none: bodyBytes = 0
        case .buffer(let buffer): bodyBytes = buffer.readableBytes
        case .bytes(let array): bodyBytes = array.count
        }
        var separateBody: ByteBuffer?
        if case .buffer(let body) = answer.body, bodyBytes > ResponseWriter.copiedBodyBytes { separateBody = body }
        var head = allocator.buffer(capacity: answer.head.readableBytes + 180 + (separateBody == nil ? bodyBytes : 0))
        head.writeImmutableBuffer(answer.head)
        head.writeStaticString("X-Request-Id: ")
        if let suppliedID {
            head.writeBytes(UnsafeRawBufferPointer(rebasing: raw[suppliedID]))
        } else {
            RequestLoggingMiddleware.writeID(generatedID, into: &head)
        }
        head.writeStaticString("\r\nDate: ")
        connection.writeDate(into: &head)
        head.writeStaticString("\r\n")
        head.writeBytes(serverLine)
        // RFC 9112 §9.3: HTTP/1.1 persists unless `close`; HTTP/1.0 only with `keep-alive`, said back to it.
        let close = lastAnswer || facts.close || (line.isHTTP10 && !facts.keepAlive)
        if close {
            head.writeStaticString("Connection: close\r\n")
        } else if line.isHTTP10 {
            head.writeStaticString("Connection: keep-alive\r\n")
        }
        switch answer.body {
        case .none:
            head.writeStaticString("\r\n")
        case .buffer(let body):
            Self.writeContentLength(bodyBytes, into: &head)
            if separateBody == nil { head.writeImmutableBuffer(body) }
        case .bytes(let body):
            Self.writeContentLength(bodyBytes, into: &head)
            head.writeBytes(body)
        }

        answered.increment()
        let elapsed = DispatchTime.now().uptimeNanoseconds - startNanoseconds
        connection.record(route: routeIndex, pattern: route.pattern, method: line.method, status: answer.status, nanoseconds: elapsed)
        accessLog.record(method: line.method, route: route.pattern, status: answer.status.code, nanoseconds: elapsed) { text in
            if let suppliedID {
                text.append(contentsOf: bytes[suppliedID])
            } else {
                RequestLoggingMiddleware.writeID(generatedID, into: &text)
            }
        }
        return .answered(consumed: length + bodyLength, head: head, body: separateBody, close: close)
    }

    /// `Content-Length: n`, then the empty line.
    private static func writeContentLength(_ count: Int, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("Content-Length: ")
        buffer.writeString(String(count))
        buffer.writeStaticString("\r\n\r\n")
    }
}
