import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Sits just before Hummingbird's `HTTPConnectionStateHandler` so that requests the byte lane answered count as
/// activity for the idle timer: a pulse is a request head and end that only the state handler and the
/// `LanePulseSink` behind it see (the sink answers with an end, which the relay drops here, before Hummingbird's
/// codec). Whether a part is a pulse is known from `pulsing`, never from its content, so no client request can
/// pass for one.
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
