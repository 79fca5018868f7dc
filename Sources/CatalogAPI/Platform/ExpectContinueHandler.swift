import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Two answers the HTTP layer gives before a request reaches the router.
///
/// * `Expect: 100-continue` gets an interim `100 Continue` at once (RFC 9110 §10.1.1). curl sends that header with
///   every upload over 1 MiB and otherwise waits a full second before sending the body; for admins uploading packs
///   that second was 97 % of the request time.
/// * A request the HTTP parser refuses (a control character in a header, a broken request line, bad chunk framing)
///   gets a problem+json 400 like every other error of the service — never the framework's empty 400 — answered
///   after the answers to the requests before it, and the connection is then closed. Requests are counted, not
///   flagged: with requests pipelined, the refusal waits for every earlier answer. A parse error inside the body of
///   a request still being answered goes to that request (its body read fails; `ProblemMiddleware` answers 400),
///   and the connection closes after that answer. Nothing is written after the refusal or that last answer.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Request heads received whose answers have not ended yet.
    private var unanswered = 0
    /// Whether the newest request's body has been read to its end.
    private var newestRequestComplete = true
    /// What to do once every unanswered request is answered, after a parse error.
    private enum AfterParseError { case none, refuse, close, closed }
    private var afterParseError = AfterParseError.none

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            unanswered += 1
            newestRequestComplete = false
            if head.headerFields[values: .expect].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        case .end:
            newestRequestComplete = true
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // After the refusal (or the last answer before closing) the framework may still try to answer: drop it.
        guard afterParseError != .closed else {
            promise?.succeed(())
            return
        }
        context.write(data, promise: promise)
        // An interim 100 has a head but no end: only ends count as answers.
        guard case .end = unwrapOutboundIn(data) else { return }
        unanswered = max(0, unanswered - 1)
        guard unanswered == 0 else { return }
        switch afterParseError {
        case .refuse: refuse(context: context)
        case .close:
            afterParseError = .closed
            context.flush()
            context.close(promise: nil)
        case .none, .closed: break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, afterParseError == .none else {
            context.fireErrorCaught(error)
            return
        }
        if unanswered == 0 {
            refuse(context: context)
        } else if newestRequestComplete {
            // The error belongs to a request after those still being answered: refuse it after their answers.
            afterParseError = .refuse
        } else {
            // The error is in the body of a request being answered: it fails that request's body, which is answered
            // 400 by the router; the connection closes after that answer.
            afterParseError = .close
            context.fireErrorCaught(error)
        }
    }

    private func refuse(context: ChannelHandlerContext) {
        afterParseError = .closed
        let body = Problem.badRequest("The HTTP request is malformed (for example a control character in a header).").jsonBytes
        var head = HTTPResponse(status: .badRequest)
        head.headerFields[.contentType] = "application/problem+json"
        head.headerFields[.contentLength] = String(body.count)
        head.headerFields[.connection] = "close"
        head.headerFields[.cacheControl] = "no-store"
        head.headerFields[.date] = HTTPDateCache.now()
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
