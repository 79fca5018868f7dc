import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Right after the connection-state handler: keeps the relay's pulses from the router, answering each with the end
/// the state handler expects (the relay drops it on its way out).
final class LanePulseSink: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private let relay: LaneActivityRelay

    init(relay: LaneActivityRelay) {
        self.relay = relay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard relay.pulsing else { return context.fireChannelRead(data) }
        if case .end = unwrapInboundIn(data) { context.write(wrapOutboundOut(.end(nil)), promise: nil) }
    }
}
