import CatalogCore
import Foundation
import HTTPTypes
import Metrics
import NIOCore
import Synchronization

/// What a route with prepared answers serves: one representation of the current snapshot, through the responder.
struct PreparedSource: Sendable {
    let snapshots: CatalogSnapshotStore
    let responder: RepresentationResponder
    let representation: @Sendable (CatalogSnapshot) -> (PreparedRepresentation, lastModified: (header: String, date: Date)?)
}

/// The catalog's conditional reads (GET and HEAD of `/v1/catalog` and `/v1/gif-config`) answered from bytes
/// prepared once per catalog version — the answer to a revalidation is a copy of a prepared head plus the request id
/// and the date.
///
/// The answers are the `RepresentationResponder`'s own, rendered once per version and variant (identity or gzip;
/// 200 to GET, 200 to HEAD, 304), and the per-request fields are written in the order `FastLane.answer` appends
/// them, so an answer is byte for byte what the lane answers (tested). A request is read by the byte lane's own
/// parser and taken only when it is plain: one `Host`, at most one `If-None-Match`, `Accept-Encoding` and
/// `X-Request-Id` each, no `If-Modified-Since` without `If-None-Match`. Everything else — including anything the
/// parser would decline — is left to the byte lane's general path, which answers it or hands it over.
final class PreparedReads: Sendable {
    enum Outcome {
        case notMine
        /// `consumed` request bytes answered by `head` and, for bodies too big to copy, `body` written after it.
        case answered(consumed: Int, head: ByteBuffer, body: ByteBuffer?)
    }

    private let entries: [Entry]
    /// `Server: …` and its line end.
    private let serverLine: [UInt8]
    private let answered: [FastLaneCounter]

    /// Nil when no route has a prepared source.
    init?(routes: [FastRoute], serverName: String, answered: [FastLaneCounter]) {
        entries = routes.compactMap { route in
            guard let source = route.prepared, !route.pattern.contains("{"), route.methods == [.get, .head] else { return nil }
            return Entry(pattern: route.pattern, source: source)
        }
        guard !entries.isEmpty else { return nil }
        serverLine = Array("Server: \(serverName)\r\n".utf8)
        self.answered = answered
    }

    /// What a connection keeps between its requests so that answering one touches no shared counter or lock: a
    /// block of request ids and the `Date` value of the current second.
    struct ConnectionState {
        /// The next id's sequence number and the last one reserved (none at first).
        private var nextID: UInt64 = 1
        private var lastID: UInt64 = 0
        private var second = -1
        private var date = ""

        mutating func writeNewID(into buffer: inout ByteBuffer) {
            if nextID > lastID {
                let block = RequestLoggingMiddleware.reserveIDs(64)
                (nextID, lastID) = (block.lowerBound, block.upperBound)
            }
            RequestLoggingMiddleware.writeID(nextID, into: &buffer)
            nextID += 1
        }

        mutating func writeDate(into buffer: inout ByteBuffer) {
            let now = time(nil)
            if now != second {
                second = now
                date = HTTPDateCache.now()
            }
            buffer.writeString(date)
        }
    }

    func answer(
        _ raw: UnsafeRawBufferPointer, startNanoseconds: UInt64, allocator: ByteBufferAllocator, connection: inout ConnectionState
    ) -> Outcome {
        // Cheapest refusals first: POSTs are never ours.
        let isHead = RawRequestParser.has(raw, "HEAD ", at: 0)
        guard isHead || RawRequestParser.has(raw, "GET ", at: 0),
              let length = RawRequestParser.headLength(raw), length <= RawRequestParser.maximumHeadBytes,
              let line = RawRequestParser.requestLine(raw)
        else { return .notMine }
        let bytes = raw.bindMemory(to: UInt8.self)
        let target = bytes[line.target]
        let path = target.firstIndex(of: UInt8(ascii: "?")).map { target[..<$0] } ?? target
        guard let entry = entries.first(where: { $0.path.elementsEqual(path) }) else { return .notMine }

        var hosts = 0
        var noneMatch: Range<Int>?
        var acceptEncoding: Range<Int>?
        var requestID: Range<Int>?
        var modifiedSince = false
        let plain = RawRequestParser.scanFields(raw, from: line.fieldsStart, headLength: length) { nameRange, value in
            let name = UnsafeBufferPointer(rebasing: bytes[nameRange])
            func once(_ slot: inout Range<Int>?) -> Bool {
                guard slot == nil else { return false }
                slot = value
                return true
            }
            switch name.count {
            case 4 where ASCII.equalsIgnoringCase(name, "host"): hosts += 1
            case 13 where ASCII.equalsIgnoringCase(name, "if-none-match"): return once(&noneMatch)
            case 15 where ASCII.equalsIgnoringCase(name, "accept-encoding"): return once(&acceptEncoding)
            case 12 where ASCII.equalsIgnoringCase(name, "x-request-id"): return once(&requestID)
            case 17 where ASCII.equalsIgnoringCase(name, "if-modified-since"): modifiedSince = true
            // What the parser declines on a GET or HEAD, or the lane leaves to the router.
            case 14 where ASCII.equalsIgnoringCase(name, "content-length"),
                 17 where ASCII.equalsIgnoringCase(name, "transfer-encoding"),
                 10 where ASCII.equalsIgnoringCase(name, "connection"),
                 6 where ASCII.equalsIgnoringCase(name, "expect"),
                 7 where ASCII.equalsIgnoringCase(name, "upgrade") || ASCII.equalsIgnoringCase(name, "trailer"),
                 2 where ASCII.equalsIgnoringCase(name, "te"):
                return false
            default: break
            }
            return true
        }
        guard plain, hosts == 1, noneMatch != nil || !modifiedSince,
              let snapshot = entry.source.snapshots.current, let answers = entry.answers(for: snapshot)
        else { return .notMine }

        var coding = ConditionalRequest.CodingPreference()
        if let acceptEncoding { coding.read(fieldLine: UnsafeBufferPointer(rebasing: bytes[acceptEncoding])) }
        let variant = coding.prefersGzip ? answers.gzip : answers.identity
        let notModified = noneMatch.map { range in
            variant.eTag.withUnsafeBufferPointer { ConditionalRequest.noneMatchFails(fieldLine: UnsafeBufferPointer(rebasing: bytes[range]), current: $0) }
        } ?? false
        let withBody = !notModified && !isHead
        let copied = withBody && variant.body.readableBytes <= ResponseWriter.copiedBodyBytes

        let fields = notModified ? variant.notModified : isHead ? variant.okToHead : variant.okToGet
        var head = allocator.buffer(capacity: fields.readableBytes + 128 + (copied ? variant.body.readableBytes : 0))
        head.writeImmutableBuffer(fields)
        head.writeStaticString("X-Request-Id: ")
        if let requestID, RequestLoggingMiddleware.isSane(bytes[requestID]) {
            head.writeBytes(UnsafeRawBufferPointer(rebasing: raw[requestID]))
        } else {
            connection.writeNewID(into: &head)
        }
        head.writeStaticString("\r\nDate: ")
        connection.writeDate(into: &head)
        head.writeStaticString("\r\n")
        head.writeBytes(serverLine)
        if withBody { head.writeBytes(variant.contentLengthLine) }
        head.writeStaticString("\r\n")
        if copied { head.writeImmutableBuffer(variant.body) }

        for counter in answered { counter.increment() }
        let (counter, timer) = answers.metrics[(isHead ? 2 : 0) + (notModified ? 1 : 0)]
        counter.increment()
        timer.recordNanoseconds(Int64(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds - startNanoseconds))
        return .answered(consumed: length, head: head, body: withBody && !copied ? variant.body : nil)
    }

    /// One route and its answers for the snapshot last asked about.
    private final class Entry: Sendable {
        let pattern: String
        let path: [UInt8]
        let source: PreparedSource
        private let cache = Mutex<PreparedAnswers?>(nil)

        init(pattern: String, source: PreparedSource) {
            self.pattern = pattern
            self.path = Array(pattern.utf8)
            self.source = source
        }

        /// Prepared on first use per version (a few microseconds; races prepare twice, harmlessly).
        func answers(for snapshot: CatalogSnapshot) -> PreparedAnswers? {
            if let cached = cache.withLock({ $0 }), cached.snapshot === snapshot { return cached }
            guard let fresh = PreparedAnswers(snapshot: snapshot, route: pattern, source: source) else { return nil }
            cache.withLock { current in
                if (current?.snapshot.version ?? .min) <= snapshot.version { current = fresh }
            }
            return fresh
        }
    }
}

/// A representation's answers at one version, rendered by the responder for requests that select each of them.
final class PreparedAnswers: Sendable {
    final class Variant: Sendable {
        /// The variant's entity tag, quotes included.
        let eTag: [UInt8]
        /// Status line and fields (no empty line) of the 304, the 200 to GET and the 200 to HEAD.
        let notModified: ByteBuffer
        let okToGet: ByteBuffer
        let okToHead: ByteBuffer
        /// `Content-Length: …` and its line end, which a GET's answer carries after `Server`.
        let contentLengthLine: [UInt8]
        let body: ByteBuffer

        init(eTag: [UInt8], notModified: ByteBuffer, okToGet: ByteBuffer, okToHead: ByteBuffer, contentLengthLine: [UInt8], body: ByteBuffer) {
            self.eTag = eTag
            self.notModified = notModified
            self.okToGet = okToGet
            self.okToHead = okToHead
            self.contentLengthLine = contentLengthLine
            self.body = body
        }
    }

    let snapshot: CatalogSnapshot
    let identity: Variant
    let gzip: Variant
    /// GET 200, GET 304, HEAD 200, HEAD 304.
    let metrics: [(Counter, Timer)]

    /// Nil if the responder's answers are not the plain 200s and 304 expected (the lane's general path answers then).
    init?(snapshot: CatalogSnapshot, route: String, source: PreparedSource) {
        let (representation, lastModified) = source.representation(snapshot)
        func variant(gzip: Bool) -> Variant? {
            var request = HTTPFields()
            if gzip { request[.acceptEncoding] = "gzip" }
            func respond(_ method: HTTPRequest.Method) -> PlainResponse {
                source.responder.respond(method: method, headers: request, representation: representation, lastModified: lastModified, catalogVersion: snapshot.version)
            }
            let get = respond(.get)
            let head = respond(.head)
            request[.ifNoneMatch] = "*"
            let notModified = respond(.get)
            guard get.status == .ok, let body = get.body, head.status == .ok, head.body == nil, notModified.status == .notModified, notModified.body == nil
            else { return nil }
            func fields(_ response: PlainResponse) -> ByteBuffer {
                var buffer = ByteBuffer()
                ResponseWriter.statusAndFields(response, into: &buffer)
                return buffer
            }
            return Variant(
                eTag: Array((gzip ? representation.gzipETag : representation.eTag).utf8), notModified: fields(notModified), okToGet: fields(get),
                okToHead: fields(head), contentLengthLine: Array("Content-Length: \(body.readableBytes)\r\n".utf8), body: body
            )
        }
        guard let identity = variant(gzip: false), let gzip = variant(gzip: true) else { return nil }
        self.snapshot = snapshot
        self.identity = identity
        self.gzip = gzip
        metrics = [(HTTPRequest.Method.get, HTTPResponse.Status.ok), (.get, .notModified), (.head, .ok), (.head, .notModified)].map {
            FastLaneMetrics.shared.handles(route: route, method: $0.0, status: $0.1)
        }
    }
}
