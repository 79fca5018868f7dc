import CatalogCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Synchronization

/// A complete response computed without suspending. Route handlers return it to the router as a `Response`; the
/// fast lane writes it straight onto the connection.
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

/// One route the fast lane may answer. Its handler gives nil whenever the router should answer instead — any error,
/// anything needing PostgreSQL — so every refusal is still produced by the one router and its middleware.
struct FastRoute: Sendable {
    /// A path: literal segments and `{name}` placeholders matching one non-empty segment.
    let pattern: String
    let methods: Set<HTTPRequest.Method>
    /// 0 for routes answered without a body; a bigger body goes to the router, which applies its own limit.
    let maximumBodyBytes: Int
    let respond: @Sendable (_ request: FastRequest) -> PlainResponse?

    fileprivate let segments: [Substring?]

    init(
        _ pattern: String, methods: Set<HTTPRequest.Method>, maximumBodyBytes: Int = 0,
        respond: @escaping @Sendable (_ request: FastRequest) -> PlainResponse?
    ) {
        self.pattern = pattern
        self.methods = methods
        self.maximumBodyBytes = maximumBodyBytes
        self.respond = respond
        self.segments = pattern.split(separator: "/").map { $0.hasPrefix("{") ? nil : $0 }
    }

    /// The placeholder values when `path` (no query) matches; walks the path's bytes once without splitting it.
    fileprivate func match(_ path: Substring) -> [Substring]? {
        let utf8 = path.utf8
        var captures: [Substring] = []
        var index = utf8.startIndex
        for segment in segments {
            guard index < utf8.endIndex, utf8[index] == UInt8(ascii: "/") else { return nil }
            index = utf8.index(after: index)
            let start = index
            while index < utf8.endIndex, utf8[index] != UInt8(ascii: "/") { index = utf8.index(after: index) }
            guard start < index else { return nil }
            if let literal = segment {
                guard utf8[start..<index].elementsEqual(literal.utf8) else { return nil }
            } else {
                captures.append(path[start..<index])
            }
        }
        return index == utf8.endIndex ? captures : nil
    }
}

/// What a fast route sees of a request.
struct FastRequest {
    let head: HTTPRequest
    /// The values of the pattern's placeholders, in order.
    let captures: [Substring]
    /// The whole body (empty for requests without one).
    let body: ByteBuffer
    /// `X-Request-Id` as echoed in the answer.
    let id: String
    let laneLogger: Logger

    /// The service's logger with this request's id, as route handlers on the router get it.
    var logger: Logger {
        var logger = laneLogger
        logger[metadataKey: "request.id"] = .string(id)
        return logger
    }
}

/// The hot, read-only routes answered on the event loop (catalog, pack, GIF configuration, resolve from memory,
/// before-send webhooks), without the hop to a Swift task, the router and the middleware chain.
///
/// It only ever answers plain successes: a route's handler declines (nil) on any error or on anything needing
/// PostgreSQL, and so does the lane for `Connection` headers, percent-encoded paths, trailers and bodies above the
/// route's limit. Declined requests go to the router untouched, in order. Every answer carries what the router's
/// middleware adds (`X-Request-Id`, `Date`, `Server`), is counted in the same Prometheus series and is logged in the
/// same line, by route pattern.
struct FastLane: Sendable {
    let routes: [FastRoute]
    let serverName: String
    let logger: Logger
    let answered: FastLaneCounter
    /// The byte lane's raw routes; nil when there are none or every request is logged (`info`), which only
    /// `answer` does.
    let raw: RawRoutes?

    /// `rawAnswers` counts the requests the raw routes answered (tests check which path answered).
    init(
        routes: [FastRoute], rawRoutes: [RawRoute] = [], serverName: String, logger: Logger, answered: FastLaneCounter,
        rawAnswers: FastLaneCounter = FastLaneCounter()
    ) {
        self.routes = routes
        self.serverName = serverName
        self.logger = logger
        self.answered = answered
        self.raw = logger.logLevel > .info
            ? RawRoutes(routes: rawRoutes, serverName: serverName, logger: logger, answered: [answered, rawAnswers])
            : nil
    }

    func route(for head: HTTPRequest) -> (FastRoute, [Substring])? {
        guard head.headerFields[.connection] == nil, let fullPath = head.path else { return nil }
        let path = fullPath.utf8.firstIndex(of: UInt8(ascii: "?")).map { fullPath[..<$0] } ?? fullPath[...]
        guard !path.utf8.contains(UInt8(ascii: "%")) else { return nil }
        for route in routes where route.methods.contains(head.method) {
            if let captures = route.match(path) { return (route, captures) }
        }
        return nil
    }

    /// The complete answer, or nil to let the router answer.
    func answer(_ route: FastRoute, head: HTTPRequest, captures: [Substring], body: ByteBuffer, startNanoseconds: UInt64) -> PlainResponse? {
        let incoming = head.headerFields[.xRequestID]
        let id = incoming.flatMap { RequestLoggingMiddleware.isSane($0) ? $0 : nil } ?? RequestLoggingMiddleware.generateID()
        let request = FastRequest(head: head, captures: captures, body: body, id: id, laneLogger: logger)
        guard var response = route.respond(request) else { return nil }
        answered.increment()
        // Appended: route handlers never set these (a HEAD answer's Content-Length comes without a body).
        response.headers.append(HTTPField(name: .xRequestID, value: id))
        response.headers.append(HTTPField(name: .date, value: HTTPDateCache.now()))
        response.headers.append(HTTPField(name: .server, value: serverName))
        if let body = response.body { response.headers.append(HTTPField(name: .contentLength, value: String(body.readableBytes))) }
        let elapsed = DispatchTime.now().uptimeNanoseconds - startNanoseconds
        FastLaneMetrics.shared.record(route: route.pattern, method: request.head.method, status: response.status, nanoseconds: elapsed)
        if logger.logLevel <= .info {
            logger.info("request", metadata: [
                "request.id": .string(id),
                "http.method": .string(request.head.method.rawValue),
                "http.route": .string(route.pattern),
                "http.status": .stringConvertible(response.status.code),
                "duration.ms": .string(String(format: "%.2f", Double(elapsed) / 1_000_000)),
            ])
        }
        return response
    }
}

/// Requests the lane answered since start (tests check that the lane, not the router, answered).
///
/// Striped: each thread adds to one of eight slots, each on a cache line of its own, so the event loops' threads
/// do not pass one line back and forth on every request (a shared counter cost a few percent of a 304).
public final class FastLaneCounter: Sendable {
    private final class Stripe: Sendable {
        let count = Atomic<Int>(0)
        /// Keeps the next stripe's count off this one's cache line.
        private let padding: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    private let stripes: [Stripe] = (0..<8).map { _ in Stripe() }

    public init() {}

    public var value: Int { stripes.reduce(0) { $0 + $1.count.load(ordering: .relaxed) } }

    func increment() {
        // Thread descriptors sit megabytes apart: hash the address's page number down to three bits.
        let thread = UInt64(pthread_self()) >> 12
        stripes[Int(truncatingIfNeeded: (thread &* 0x9E37_79B9_7F4A_7C15) >> 61)].count.add(1, ordering: .relaxed)
    }
}

/// Sits after Hummingbird's connection-state handler (so idle timeouts and graceful shutdown see every request)
/// and before the router's channel. A request head for a fast route is held until its end arrives; then the route
/// answers, or the held parts go on to the router as if nothing had happened. While the router owns a request
/// (reading it or still answering), every later request goes to the router too, so answers never overtake each
/// other on a pipelined connection.
final class FastLaneHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private struct Held {
        var head: HTTPRequest
        var route: FastRoute
        var captures: [Substring]
        var body: ByteBuffer?
        var start: UInt64
    }

    private let lane: FastLane
    private let relay: LaneActivityRelay
    private var held: Held?
    /// The router has a request whose end it has not been given yet.
    private var routerReading = false
    /// Requests given to the router whose response has not ended yet.
    private var routerAnswering = 0

    init(lane: FastLane, relay: LaneActivityRelay) {
        self.lane = lane
        self.relay = relay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if relay.pulsing {
            // The byte lane's activity pulse: its end is answered with an end, which the relay drops.
            if case .end = part { context.write(wrapOutboundOut(.end(nil)), promise: nil) }
            return
        }
        switch part {
        case .head(let head):
            if held == nil, !routerReading, routerAnswering == 0, let (route, captures) = lane.route(for: head) {
                held = Held(head: head, route: route, captures: captures, body: nil, start: DispatchTime.now().uptimeNanoseconds)
                return
            }
            forward(.head(head), context: context)
        case .body(let part):
            guard var request = held else { return forward(.body(part), context: context) }
            if (request.body?.readableBytes ?? 0) + part.readableBytes > request.route.maximumBodyBytes {
                handOver(context: context)
                return forward(.body(part), context: context)
            }
            held = nil  // keep the buffer uniquely referenced while appending
            if request.body == nil { request.body = part } else { request.body!.writeImmutableBuffer(part) }
            held = request
        case .end(let trailers):
            guard let request = held else { return forward(.end(trailers), context: context) }
            if trailers == nil,
               let response = lane.answer(
                   request.route, head: request.head, captures: request.captures, body: request.body ?? ByteBuffer(), startNanoseconds: request.start
               )
            {
                held = nil
                write(response, context: context)
                return
            }
            handOver(context: context)
            forward(.end(trailers), context: context)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { routerAnswering -= 1 }
        context.write(data, promise: promise)
    }

    /// A held request goes to the router after all.
    private func handOver(context: ChannelHandlerContext) {
        guard let request = held else { return }
        held = nil
        forward(.head(request.head), context: context)
        if let body = request.body { forward(.body(body), context: context) }
    }

    private func forward(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head:
            routerReading = true
            routerAnswering += 1
        case .end: routerReading = false
        case .body: break
        }
        context.fireChannelRead(wrapInboundOut(part))
    }

    private func write(_ response: PlainResponse, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(HTTPResponse(status: response.status, headerFields: response.headers))), promise: nil)
        if let body = response.body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

/// Puts a `FastLaneHandler` right after Hummingbird's `HTTPConnectionStateHandler` once the pipeline is complete
/// (`additionalChannelHandlers` are added before that handler), then removes itself. It moves on the first event
/// it sees, `channelActive` for accepted connections, and leaves only after passing that event on: events fired
/// from a removed handler go nowhere, and the connection-state handler needs `channelActive` for its idle timer.
final class FastLaneInstaller: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let lane: FastLane
    private let byteLaneAnswers: FastLaneCounter
    private let pulseInterval: TimeAmount

    /// `idleTimeout` is the server's: the byte lane reports activity four times per timeout (at most once a second).
    init(lane: FastLane, byteLaneAnswers: FastLaneCounter, idleTimeout: TimeAmount?) {
        self.lane = lane
        self.byteLaneAnswers = byteLaneAnswers
        self.pulseInterval = min(idleTimeout.map { .nanoseconds($0.nanoseconds / 4) } ?? .seconds(1), .seconds(1))
    }

    func channelActive(context: ChannelHandlerContext) {
        installLane(context: context, beforeAnyRead: true) { context.fireChannelActive() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        installLane(context: context, beforeAnyRead: false) { context.fireChannelRead(data) }
    }

    /// Without the connection-state handler the lanes stay out: in front of it, their requests would not count as
    /// activity and busy connections would be closed as idle. The router then answers everything. The byte lane
    /// goes in only before the first read: once the decoder has bytes, it must get all the rest.
    private func installLane(context: ChannelHandlerContext, beforeAnyRead: Bool, passing event: () -> Void) {
        let pipeline = context.pipeline.syncOperations
        // Where the HTTP/1 version is still known: `Connection: close` in any spelling, HTTP/1.0 without keep-alive.
        if let codec = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self) {
            try? pipeline.addHandler(ConnectionCloseHandler(), position: .before(codec))
        }
        if let state = try? pipeline.handler(type: HTTPConnectionStateHandler.self) {
            let relay = LaneActivityRelay()
            try? pipeline.addHandler(relay, position: .before(state))
            try? pipeline.addHandler(FastLaneHandler(lane: lane, relay: relay), position: .after(state))
            if beforeAnyRead {
                try? pipeline.addHandler(ByteLaneHandler(lane: lane, relay: relay, answered: byteLaneAnswers, pulseInterval: pulseInterval), position: .first)
            }
        }
        event()
        pipeline.removeHandler(context: context, promise: nil)
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

/// The fast lane's requests in the same Prometheus series as Hummingbird's `MetricsMiddleware` (`hb_requests`,
/// `http_server_request_duration`, by route pattern, method and status), with the metric objects made once.
final class FastLaneMetrics: Sendable {
    static let shared = FastLaneMetrics()

    private struct Key: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: Int
    }

    private let cache = Mutex<[Key: (Counter, Timer)]>([:])

    func record(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, nanoseconds: UInt64) {
        let (counter, timer) = handles(route: route, method: method, status: status)
        counter.increment()
        timer.recordNanoseconds(Int64(truncatingIfNeeded: nanoseconds))
    }

    /// The series of one route, method and status (raw routes' connections hold on to theirs).
    func handles(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status) -> (Counter, Timer) {
        let key = Key(route: route, method: method, status: status.code)
        return cache.withLock { cache in
            if let metrics = cache[key] { return metrics }
            let dimensions = [("http.route", route), ("http.request.method", method.rawValue), ("http.response.status_code", String(status.code))]
            let metrics = (Counter(label: "hb.requests", dimensions: dimensions),
                           Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds))
            cache[key] = metrics
            return metrics
        }
    }
}
