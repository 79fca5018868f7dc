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
/// HTTP/1.0 with `Connection: close`) that set-up was most of the work: about 90 of the 127 µs of CPU per
/// connection, where a bare NIO server needs 38.
///
/// Graceful shutdown (NIO's `ServerQuiescingHelper`): the listener closes, every connection is told to quiesce —
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
    var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    func run() async throws {
        try await prelude()
        let (connections, queue) = AsyncStream.makeStream(of: RouterConnection.self)
        let router = RouterPipeline(idleTimeout: idleTimeout, logger: logger, connections: queue)
        let quiescing = ServerQuiescingHelper(group: eventLoopGroup)
        let (lane, idleTimeout, minimumRate) = (lane, idleTimeout, minimumRate)
        let listener = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
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
        let boundPort = listener.localAddress?.port ?? port
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
            let closed = listener.eventLoop.makePromise(of: Void.self)
            closed.futureResult.whenComplete { _ in queue.finish() }
            quiescing.initiateShutdown(promise: closed)
        }
        // Cancelled rather than shut down gracefully: stop accepting at least.
        try? await listener.close()
    }
}
