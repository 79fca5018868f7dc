#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle

/// The HTTP server. Every accepted connection starts with the byte lane alone (`ByteLaneHandler`); the router's
/// handlers and a task to serve them are added only when the lane hands a connection over (`RouterPipeline`).
///
/// Hummingbird's own server builds its whole HTTP pipeline, an async channel and a task for every connection before
/// the first byte is read. For a client that opens a connection per request (nginx's `proxy_pass` at its defaults,
/// HTTP/1.0 with `Connection: close`) that set-up was most of the work: 127-141 µs of CPU per connection, where a
/// bare NIO server needs 38. With the lane alone, one listener per event loop, and no rate-check timer for a request
/// that arrives whole, it is 46-47 µs.
///
/// Graceful shutdown (NIO's `ServerQuiescingHelper`, one per listener): the listeners close, every connection is told to quiesce —
/// an idle one closes, a request arriving or being answered is finished first, on the lane and on the router alike —
/// and `run` returns once the last connection has closed.
struct CatalogServer: Service {
    let host: String
    let port: Int
    let lane: RawRoutes
    let idleTimeout: TimeAmount?
    let minimumRate: MinimumTransferRate
    let responder: HTTPChannelHandler.Responder
    let logger: Logger
    /// Runs before the server listens (migrations), while the other services already run.
    let prelude: @Sendable () async throws -> Void
    /// Told the port once the server listens (port 0 picks a free one).
    let onListening: @Sendable (Int) async -> Void
    /// Most connections open at once, over all listeners (`ConnectionCap`).
    let maximumConnections: Int
    var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    func run() async throws {
        try await prelude()
        let (connections, queue) = AsyncStream.makeStream(of: RouterConnection.self)
        let router = RouterPipeline(idleTimeout: idleTimeout, logger: logger, connections: queue)
        // One listener per event loop on the same port (SO_REUSEPORT): the kernel spreads connections over them, and
        // each connection stays on the loop that accepted it — no hand-off to another thread to set it up, none to
        // tell the listener's quiescing helper it closed.
        var bound: [(channel: any Channel, quiescing: ServerQuiescingHelper)] = []
        var boundPort = port
        let loops = Array(eventLoopGroup.makeIterator())
        if port != 0 { try Self.ensureNoOtherListener(host: host, port: port) }
        let perListener = (maximumConnections + loops.count - 1) / loops.count
        do {
            for loop in loops {
                let listener = try await listen(on: loop, port: boundPort, cap: perListener, router: router)
                boundPort = listener.channel.localAddress?.port ?? boundPort
                bound.append(listener)
            }
        } catch {
            for listener in bound { try? await listener.channel.close() }
            throw error
        }
        let listeners = bound
        logger.info("Server started and listening on \(host):\(boundPort)")
        await onListening(boundPort)

        let http1 = HTTP1Channel(responder: responder)
        let logger = logger
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await connection in connections {
                    group.addTask { await http1.handle(value: connection, logger: logger) }
                }
            }
        } onGracefulShutdown: {
            let closed = listeners.map { listener in
                let promise = listener.channel.eventLoop.makePromise(of: Void.self)
                listener.quiescing.initiateShutdown(promise: promise)
                return promise.futureResult
            }
            EventLoopFuture.andAllComplete(closed, on: listeners[0].channel.eventLoop).whenComplete { _ in queue.finish() }
        }
        // Cancelled rather than shut down gracefully: stop accepting at least.
        for listener in listeners { try? await listener.channel.close() }
    }

    /// Refuses to start when any socket already listens on `host:port`.
    ///
    /// Our listeners share the port through SO_REUSEPORT, and Linux lets any process of the same user join such a
    /// group: a second instance started beside a running one (a restart that did not wait for the old process to
    /// end) would bind without an error, and the kernel would hand each of them a share of the connections — an old
    /// binary silently answering part of the traffic. A plain bind, which no listener of ours or of theirs admits,
    /// finds that first. SO_REUSEADDR lets it succeed over connections of an earlier run still in TIME_WAIT; it never
    /// listens, so no connection can arrive on it.
    static func ensureNoOtherListener(host: String, port: Int) throws {
        let address = try SocketAddress.makeAddressResolvingHost(host, port: port)
        let probe = socket(address.protocol.rawValue, Int32(SOCK_STREAM.rawValue), 0)
        guard probe >= 0 else { return }  // no descriptor to probe with: binding the listeners will say what is wrong
        defer { close(probe) }
        var one: Int32 = 1
        _ = setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = address.withSockAddr { pointer, size in bind(probe, pointer, socklen_t(size)) }
        if bound != 0, errno == EADDRINUSE { throw PortInUse(host: host, port: port) }
    }

    struct PortInUse: Error, CustomStringConvertible {
        let host: String
        let port: Int
        var description: String {
            "\(host):\(port) is already in use by another process (is another catalog-service still running?); not listening beside it"
        }
    }

    /// A listener on `loop` whose connections start with the byte lane and stay on `loop`.
    private func listen(on loop: any EventLoop, port: Int, cap: Int, router: RouterPipeline) async throws -> (channel: any Channel, quiescing: ServerQuiescingHelper) {
        let quiescing = ServerQuiescingHelper(group: loop)
        let (lane, idleTimeout, minimumRate) = (lane, idleTimeout, minimumRate)
        let channel = try await ServerBootstrap(group: loop)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.Types.SocketOption(level: .socket, name: .init(rawValue: SO_REUSEPORT)), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // As Hummingbird's server had it. On its own it does not stop NIO retrying an accept that failed
                    // for want of file descriptors (the listener's read stays pending); the cap keeps this process
                    // under its own limit, so that happens only when the whole system runs out (ENFILE).
                    try channel.pipeline.syncOperations.addHandler(AcceptBackoffHandler(shouldForwardIOErrorCaught: false))
                    try channel.pipeline.syncOperations.addHandler(ConnectionCap(limit: cap))
                    try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let progress = RequestProgress(rate: minimumRate)
                    try channel.pipeline.syncOperations.addHandler(
                        ByteLaneHandler(routes: lane, idleTimeout: idleTimeout, progress: progress, router: router)
                    )
                }
            }
            .bind(host: host, port: port).get()
        return (channel, quiescing)
    }
}
