import Foundation
import HTTPTypes
import NIOCore

/// The first handler on every connection (`CatalogServer`): answers the routes of the lane's table (`RawRoutes`)
/// straight from the bytes. Until it hands a connection over, it is the connection's only handler.
///
/// It owns a connection from its start. Requests the table takes are answered in arrival order, pipelined ones in
/// one flush; a `Connection: close` (or HTTP/1.0 without keep-alive) ends the connection after its answer, and a
/// request that asked for `100 Continue` gets it once the route admits it. The first request the table does not
/// take — or the client not reading its answers — has the router's handlers built behind the lane
/// (`RouterPipeline`) and is passed to them with every byte after it; from then on the connection belongs to the
/// router, so answers never overtake each other. Until then the lane keeps the idle timeout (a connection that has
/// sent no byte for that long is closed) and graceful shutdown (an idle connection closes at once,
/// a request arriving is answered first, with `Connection: close`).
///
/// It also keeps the connection's minimum transfer rate (`RequestProgress`): every byte read counts, on the lane
/// and after the hand-over, and a request arriving more slowly than the rate is refused with a problem+json 408 —
/// by the lane itself, or (once the router owns the connection) through `ExpectContinueHandler`, after the answers
/// before it — and the connection closes.
final class ByteLaneHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let routes: RawRoutes
    private let idleTimeout: TimeAmount?
    private let router: RouterPipeline
    /// Bytes of a request not complete yet.
    private var partial: ByteBuffer?
    /// That request has been sent its `100 Continue`.
    private var continueSent = false
    /// The router owns the connection now.
    private var forwarding = false
    /// An answer asked to close the connection: nothing more is read or answered.
    private var closing = false
    /// Graceful shutdown began while a request was arriving: it is answered, then the connection closes.
    private var quiescing = false
    private var unflushed = false
    /// When a byte was last read (the idle timeout counts from it; answers are written as their requests are read).
    private var lastActivity = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    private var connection = RawRoutes.ConnectionState()
    private let progress: RequestProgress
    private var rateCheck: Scheduled<Void>?

    private static let continueLine: StaticString = "HTTP/1.1 100 Continue\r\n\r\n"

    init(routes: RawRoutes, idleTimeout: TimeAmount?, progress: RequestProgress, router: RouterPipeline) {
        self.routes = routes
        self.idleTimeout = idleTimeout
        self.progress = progress
        self.router = router
    }

    func handlerAdded(context: ChannelHandlerContext) {
        scheduleIdleCheck(context: context, in: idleTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimers()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimers()
        context.fireChannelInactive()
    }

    private func stopTimers() {
        rateCheck?.cancel()
        rateCheck = nil
        idleCheck?.cancel()
        idleCheck = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var bytes = unwrapInboundIn(data)
        progress.received(bytes.readableBytes)
        lastActivity = NIODeadline.now()
        guard !forwarding else { return context.fireChannelRead(data) }
        if var earlier = partial {
            partial = nil
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        while bytes.readableBytes > 0 {
            guard context.channel.isWritable else { return handOver(bytes, context: context) }
            let start = DispatchTime.now().uptimeNanoseconds
            let outcome = bytes.withUnsafeReadableBytes {
                routes.answer($0, continueSent: continueSent, lastAnswer: quiescing, startNanoseconds: start, allocator: context.channel.allocator, connection: &connection)
            }
            switch outcome {
            case .notMine:
                return handOver(bytes, context: context)
            case .incomplete(let sendContinue):
                if sendContinue {
                    continueSent = true
                    progress.continueSent()
                    var line = context.channel.allocator.buffer(capacity: 25)
                    line.writeStaticString(Self.continueLine)
                    context.writeAndFlush(wrapOutboundOut(line), promise: nil)
                }
                partial = bytes
                return
            case .answered(let consumed, let head, let body, let close):
                bytes.moveReaderIndex(forwardBy: consumed)
                continueSent = false
                if bytes.readableBytes == 0 { progress.requestEnded() }
                send(head, body: body, context: context)
                if close { return self.close(context: context) }
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Only a request still arriving when the read is done has a pace to check: most arrive whole in one read
        // and are answered in it, with no timer set.
        scheduleRateCheck(context: context)
        if unflushed {
            unflushed = false
            context.flush()
        }
        if forwarding {
            context.fireChannelReadComplete()
        } else if !closing {
            // Until the hand-over the handlers behind have been given no read to complete. Asking for the next read
            // here, next to the head, spares NIO's own request for it a walk through every handler of the pipeline
            // (NIO asks only when no read is pending): the same read, a twentieth of a 304's CPU less.
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard !forwarding else { return context.fireUserInboundEventTriggered(event) }
        switch event {
        case is ChannelShouldQuiesceEvent:
            // Graceful shutdown: a connection between requests closes; a request arriving is answered, then it closes.
            guard !closing else { return }
            if partial != nil {
                quiescing = true
            } else {
                close(context: context)
            }
        case ChannelEvent.inputClosed:
            // The client will send nothing more: part of a request goes to the decoder, which refuses it as the
            // router would; without one, the connection closes once its answers are written.
            if !closing, let bytes = partial {
                handOver(bytes, context: context)
                context.fireUserInboundEventTriggered(event)
            } else if !closing {
                close(context: context)
            }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    /// The router takes the connection from this request on: its handlers are built behind the lane, which passes
    /// it every byte from here.
    private func handOver(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        forwarding = true
        partial = nil
        idleCheck?.cancel()
        idleCheck = nil
        if unflushed {
            unflushed = false
            context.flush()
        }
        do {
            try router.attach(to: context.channel, progress: progress)
        } catch {
            closing = true
            return context.close(promise: nil)
        }
        if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
        // The router has the request now, and closes the connection after answering it.
        if quiescing { context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
    }

    /// Closes once every answer written so far is out (writes complete in order: the empty one last).
    private func close(context: ChannelHandlerContext) {
        closing = true
        unflushed = false
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: written)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
    }

    /// Writes an answer (flushed at the end of the read).
    private func send(_ head: ByteBuffer, body: ByteBuffer?, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(head), promise: nil)
        if let body { context.write(wrapOutboundOut(body), promise: nil) }
        unflushed = true
    }

    /// Closes the connection once no byte has been read for the idle timeout.
    private func scheduleIdleCheck(context: ChannelHandlerContext, in delay: TimeAmount?) {
        guard let delay, !forwarding, !closing else { return }
        let handler = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(in: delay) { handler.value.0.checkIdle(context: handler.value.1) }
    }

    private func checkIdle(context: ChannelHandlerContext) {
        idleCheck = nil
        guard let idleTimeout, !forwarding, !closing else { return }
        let idle = NIODeadline.now() - lastActivity
        guard idle >= idleTimeout else { return scheduleIdleCheck(context: context, in: idleTimeout - idle) }
        closing = true
        partial = nil
        context.close(promise: nil)
    }

    /// Checks the request's pace each second while one is arriving (the lane's or, after the hand-over, the router's).
    private func scheduleRateCheck(context: ChannelHandlerContext) {
        guard rateCheck == nil, !closing, progress.inProgress, progress.rate.bytesPerSecond > 0 else { return }
        let handler = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        rateCheck = context.eventLoop.scheduleTask(in: .seconds(1)) { handler.value.0.checkRate(context: handler.value.1) }
    }

    private func checkRate(context: ChannelHandlerContext) {
        rateCheck = nil
        guard !closing, progress.inProgress else { return }
        guard progress.isTooSlow() else { return scheduleRateCheck(context: context) }
        refuseSlowRequest(context: context)
    }

    private func refuseSlowRequest(context: ChannelHandlerContext) {
        closing = true
        partial = nil
        guard !forwarding else {
            // The router's requests are answered in order: the refusal is written after the answers before it.
            return context.fireErrorCaught(RequestRefusal(problem: MinimumTransferRate.refusal))
        }
        let problem = MinimumTransferRate.refusal
        let body = problem.jsonBytes
        var fields = HTTPFields()
        fields[.contentType] = "application/problem+json"
        fields[.cacheControl] = "no-store"
        fields[.date] = HTTPDateCache.now()
        fields[.connection] = "close"
        fields[.contentLength] = String(body.count)
        var answer = ResponseWriter.statusAndFields(PlainResponse(status: problem.status, headers: fields))
        answer.writeStaticString("\r\n")
        answer.writeBytes(body)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(answer)).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
