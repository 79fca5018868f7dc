import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Two answers the HTTP layer gives before a request reaches the router.
///
/// * `Expect: 100-continue` gets an interim `100 Continue` at once (RFC 9110 §10.1.1). curl sends that header with
///   every upload over 1 MiB and otherwise waits a full second before sending the body; for admins uploading packs
///   that second was 97 % of the request time.
/// * A request the HTTP parser refuses (a control character in a header, a broken request line) gets a
///   problem+json 400 like every other error of the service, instead of the framework's empty 400, and the
///   connection is closed. Only between requests: a parse error in the middle of one is left to the framework.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// A request head arrived and its response has not ended yet.
    private var requestInFlight = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            requestInFlight = true
            if head.headerFields[values: .expect].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { requestInFlight = false }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, !requestInFlight else {
            context.fireErrorCaught(error)
            return
        }
        let body = Problem.badRequest("The HTTP request is malformed (for example a control character in a header).").jsonBytes
        var head = HTTPResponse(status: .badRequest)
        head.headerFields[.contentType] = "application/problem+json"
        head.headerFields[.contentLength] = String(body.count)
        head.headerFields[.connection] = "close"
        head.headerFields[.cacheControl] = "no-store"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
