import Foundation
import HTTPTypes
import NIOCore

/// The first handler on a connection: answers the routes of the lane's table (`RawRoutes`) straight from the
/// bytes, before the HTTP/1 decoder, Hummingbird's codec and the connection-state handler ever see them.
///
/// It owns a connection from its start. Requests the table takes are answered in arrival order, pipelined ones in
/// one flush; a `Connection: close` (or HTTP/1.0 without keep-alive) ends the connection after its answer, and a
/// request that asked for `100 Continue` gets it once the route admits it. The first request the table does not
/// take — or the client not reading its answers — is passed to the decoder with every byte after it, and from then
/// on the connection belongs to the router, so answers never overtake each other. Each answer pulses the
/// `LaneActivityRelay` (at most once per `pulseInterval`), so Hummingbird's idle timer sees a busy connection as
/// busy, also while a request is still arriving; graceful shutdown closes a lane connection between requests, as it
/// does an idle router connection.
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
    private let relay: LaneActivityRelay
    private let pulseInterval: TimeAmount
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
    private var lastPulse = NIODeadline.uptimeNanoseconds(0)
    private var connection = RawRoutes.ConnectionState()
    private let progress: RequestProgress
    private var rateCheck: Scheduled<Void>?

    private static let continueLine: StaticString = "HTTP/1.1 100 Continue\r\n\r\n"

    /// `pulseInterval` must be well under the idle timeout (a quarter of it, at most a second, is what the
    /// installer gives): the idle timer closes a connection whose last activity is a whole timeout old.
    init(routes: RawRoutes, relay: LaneActivityRelay, pulseInterval: TimeAmount, progress: RequestProgress) {
        self.routes = routes
        self.relay = relay
        self.pulseInterval = pulseInterval
        self.progress = progress
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        rateCheck?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        rateCheck?.cancel()
        rateCheck = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var bytes = unwrapInboundIn(data)
        progress.received(bytes.readableBytes)
        scheduleRateCheck(context: context)
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
                // A request still arriving is activity too (its pace is the rate check's to judge).
                pulseIfDue()
                return
            case .answered(let consumed, let head, let body, let close):
                bytes.moveReaderIndex(forwardBy: consumed)
                continueSent = false
                if bytes.readableBytes == 0 { progress.requestEnded() }
                send(head, body: body, context: context)
                if close {
                    // Closed once the answer is written (writes complete in order: the empty one last).
                    closing = true
                    unflushed = false
                    let written = context.eventLoop.makePromise(of: Void.self)
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: written)
                    let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                    written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
                    return
                }
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
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
        // Graceful shutdown closes connections with no request in progress. The connection-state handler behind
        // does not know of a request the lane is still reading: held here, so that request is answered first.
        if event is ChannelShouldQuiesceEvent, !forwarding, !closing, partial != nil {
            quiescing = true
            return
        }
        // A half-closed input with part of a request buffered: the decoder gets the bytes first, as without the lane.
        if !forwarding, !closing, let bytes = partial, case ChannelEvent.inputClosed = event {
            handOver(bytes, context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The router takes the connection from this request on.
    private func handOver(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        forwarding = true
        partial = nil
        if unflushed {
            unflushed = false
            context.flush()
        }
        if bytes.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(bytes)) }
        // The router has the request now, and closes the connection after answering it.
        if quiescing { context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
    }

    /// Writes an answer (flushed at the end of the read) and pulses the idle timer when due.
    private func send(_ head: ByteBuffer, body: ByteBuffer?, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(head), promise: nil)
        if let body { context.write(wrapOutboundOut(body), promise: nil) }
        unflushed = true
        pulseIfDue()
    }

    private func pulseIfDue() {
        let now = NIODeadline.now()
        if now - lastPulse >= pulseInterval {
            lastPulse = now
            relay.pulse()
        }
    }

    /// Checks the request's pace each second while one is arriving.
    private func scheduleRateCheck(context: ChannelHandlerContext) {
        guard rateCheck == nil, progress.inProgress, progress.rate.bytesPerSecond > 0 else { return }
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
