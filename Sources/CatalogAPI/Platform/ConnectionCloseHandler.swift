import NIOCore
import NIOHTTP1

/// Honours a client's wish to end the connection in every spelling HTTP/1 has for it (RFC 9112 §9.3, §9.6):
/// `Connection: close` in any case or inside a list, and HTTP/1.0 without `keep-alive`. That request's answer says
/// `Connection: close` and the connection closes once the answer is written; nothing is written after it.
/// (Hummingbird 2.28.1 compares the header with "close" exactly, so `Close` and HTTP/1.0 left connections open.)
/// It sits between NIO's HTTP/1 codec and the conversion to HTTPTypes, where the request's version is still known.
final class ConnectionCloseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// For each request not yet answered, in order: whether the connection may stay open after its answer.
    private var keepAlive: [Bool] = []
    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { keepAlive.append(head.isKeepAlive) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !closing else {
            promise?.succeed(())
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200 && keepAlive.first == false:
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            context.write(data, promise: promise)
            guard !keepAlive.isEmpty, !keepAlive.removeFirst() else { return }
            closing = true
            context.flush()
            context.close(promise: nil)
        default:
            context.write(data, promise: promise)
        }
    }
}
