#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// On a listener: stops accepting while `limit` of its connections are open, and accepts again as they close.
///
/// Past the process's file-descriptor limit, accept fails with EMFILE, and NIO retries a failed accept at once, in a
/// loop: a flood of idle connections held two cores busy until the idle timeout closed them. Held under the cap, the
/// next connections wait in the listen backlog, and the listener's read interest is dropped until one closes. One
/// read accepts up to NIO's batch of four queued connections, so a listener may hold up to three past its limit.
final class ConnectionCap: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = Never

    private let limit: Int
    private var open = 0
    /// A read was asked for while at the cap: it is made when a connection closes.
    private var withheld = false

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connection = unwrapInboundIn(data)
        open += 1
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        connection.closeFuture.hop(to: context.eventLoop).whenComplete { _ in
            let (cap, context) = bound.value
            cap.open -= 1
            if cap.withheld, cap.open < cap.limit {
                cap.withheld = false
                context.read()
            }
        }
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        guard open < limit else {
            withheld = true
            return
        }
        context.read()
    }

    /// Connections one process may hold: its file-descriptor limit less `reserve` (the database pool, logs,
    /// storage), at least 64.
    static func processLimit(reserve: Int) -> Int {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return 1024 }
        let soft = Int(clamping: min(limits.rlim_cur, 1 << 20))  // RLIM_INFINITY is the largest value
        return max(64, soft - reserve)
    }
}
