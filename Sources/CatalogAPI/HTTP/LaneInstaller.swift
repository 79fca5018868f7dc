import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Completes each connection's pipeline once Hummingbird has built it (`additionalChannelHandlers` are added before
/// its `HTTPConnectionStateHandler`), then removes itself:
///
/// * `HTTP1RequestRules` between NIO's HTTP/1 codec and the conversion to HTTPTypes, where the version is known;
/// * the `LaneActivityRelay` before the connection-state handler and its `LanePulseSink` after it;
/// * the `ByteLaneHandler` first of all, before the HTTP/1 decoder (it also keeps the minimum transfer rate, with
///   the `RequestProgress` it shares with `HTTP1RequestRules`).
///
/// It moves on the first event it sees, `channelActive` for accepted connections, and leaves only after passing
/// that event on: events fired from a removed handler go nowhere, and the connection-state handler needs
/// `channelActive` for its idle timer.
final class LaneInstaller: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let routes: RawRoutes
    private let pulseInterval: TimeAmount
    private let minimumRate: MinimumTransferRate

    /// `idleTimeout` is the server's: the byte lane reports activity four times per timeout (at most once a second).
    init(routes: RawRoutes, idleTimeout: TimeAmount?, minimumRate: MinimumTransferRate) {
        self.routes = routes
        self.minimumRate = minimumRate
        self.pulseInterval = min(idleTimeout.map { .nanoseconds($0.nanoseconds / 4) } ?? .seconds(1), .seconds(1))
    }

    func channelActive(context: ChannelHandlerContext) {
        install(context: context, beforeAnyRead: true) { context.fireChannelActive() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        install(context: context, beforeAnyRead: false) { context.fireChannelRead(data) }
    }

    /// Without the connection-state handler the lane stays out: in front of it, its requests would not count as
    /// activity and busy connections would be closed as idle. The router then answers everything. The byte lane
    /// goes in only before the first read: once the decoder has bytes, it must get all the rest.
    private func install(context: ChannelHandlerContext, beforeAnyRead: Bool, passing event: () -> Void) {
        let pipeline = context.pipeline.syncOperations
        let progress = RequestProgress(rate: minimumRate)
        if let codec = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self) {
            try? pipeline.addHandler(HTTP1RequestRules(progress: progress), position: .before(codec))
        }
        if beforeAnyRead, let state = try? pipeline.handler(type: HTTPConnectionStateHandler.self) {
            let relay = LaneActivityRelay()
            try? pipeline.addHandler(relay, position: .before(state))
            try? pipeline.addHandler(LanePulseSink(relay: relay), position: .after(state))
            let lane = ByteLaneHandler(routes: routes, relay: relay, pulseInterval: pulseInterval, progress: progress)
            try? pipeline.addHandler(lane, position: .first)
        }
        event()
        pipeline.removeHandler(context: context, promise: nil)
    }
}
