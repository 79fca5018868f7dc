import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Two answers the HTTP layer gives outside the router's handlers.
///
/// * `Expect: 100-continue` gets an interim `100 Continue` (RFC 9110 §10.1.1) when the route asks for the body
///   (`ContinueSignal`, sent by the body readers, so after authentication has passed) and every earlier answer on
///   the connection is written. curl sends that header with every upload over 1 MiB and otherwise waits a full
///   second before sending the body; for admins uploading packs that second was 97 % of the request time. A request
///   answered without its body having been asked for (a refusal) gets no 100, and the connection closes after the
///   answer: the client may or may not send the body it held back, so the connection's framing is unknown.
///   HTTP/1.0 expectations never get here (`HTTP1RequestRules` drops them, as §10.1.1 says).
/// * Bytes the HTTP parser refuses (a control character in a header, a broken request line, bad chunk framing) get
///   a problem+json 400 like every other error of the service — never the framework's empty 400 — after the answers
///   to the requests before them, and the connection is then closed. Requests are counted, not flagged, so with
///   requests pipelined the refusal waits for every earlier answer. When the broken bytes are in the body of a
///   request not yet answered, that request is the one refused (once it is the oldest unanswered), and only then
///   does its handler learn that its body failed, so it never stores a body cut short. Nothing is written after
///   the refusal.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Request heads received whose answers have not ended yet.
    private var unanswered = 0
    /// Whether the newest request's body has been read to its end.
    private var newestRequestComplete = true
    /// Whether the oldest unanswered request's answer has begun (its head is written).
    private var answerStarted = false
    /// What a parse error left to do.
    private enum AfterParseError {
        case none
        /// Bytes after every request received could not be read: refuse them once all are answered.
        case refuse
        /// The newest request's body broke: refuse that request when it is the only one unanswered, then fail its body.
        case failNewest(any Error)
        /// The broken request's answer had already begun: close once it ends.
        case close
        case closed
    }
    private var afterParseError = AfterParseError.none
    /// What the refusal says when it is not a parse error (`RequestRefusal`).
    private var refusal: Problem?
    /// For each unanswered request, in order: whether it expects a `100 Continue` not sent yet.
    private var awaitingContinue: [Bool] = []
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// The route answering the oldest unanswered request reads its body: its `100 Continue`, if it expects one.
    /// (Requests on a connection are handled one at a time, oldest first.) Called on the event loop.
    func bodyWanted() {
        guard let context, awaitingContinue.first == true, !answerStarted, case .none = afterParseError else { return }
        awaitingContinue[0] = false
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            unanswered += 1
            newestRequestComplete = false
            awaitingContinue.append(head.headerFields[values: .expect].contains { $0.lowercased() == "100-continue" })
        case .end:
            newestRequestComplete = true
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // After the refusal (or the last answer before closing) the framework may still try to answer: drop it.
        if case .closed = afterParseError {
            promise?.succeed(())
            return
        }
        context.write(data, promise: promise)
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.kind != .informational: answerStarted = true
        case .end:
            // An interim 100 has a head but no end: only ends count as answers.
            answerStarted = false
            unanswered = max(0, unanswered - 1)
            if !awaitingContinue.isEmpty, awaitingContinue.removeFirst(), case .none = afterParseError {
                // Answered without asking for the body it held back.
                afterParseError = .closed
                context.flush()
                context.close(promise: nil)
                return
            }
            settle(context: context)
        default: break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError || error is RequestRefusal, case .none = afterParseError else {
            context.fireErrorCaught(error)
            return
        }
        refusal = (error as? RequestRefusal)?.problem
        afterParseError = unanswered == 0 || newestRequestComplete ? .refuse : .failNewest(error)
        settle(context: context)
    }

    /// Carries out what a parse error left to do, as far as the answers written so far allow.
    private func settle(context: ChannelHandlerContext) {
        switch afterParseError {
        case .refuse where unanswered == 0:
            refuse(context: context)
        case .failNewest(let error) where unanswered == 1:
            if answerStarted {
                afterParseError = .close
            } else {
                refuse(context: context)
            }
            context.fireErrorCaught(error)
        case .close where unanswered == 0:
            afterParseError = .closed
            context.flush()
            context.close(promise: nil)
        default:
            break
        }
    }

    private func refuse(context: ChannelHandlerContext) {
        afterParseError = .closed
        let problem = refusal ?? Problem.badRequest("The HTTP request is malformed (for example a control character in a header or broken chunk framing).")
        let body = problem.jsonBytes
        var head = HTTPResponse(status: problem.status)
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
