import CatalogCore
import NIOCore
import NIOHTTP1

/// The HTTP/1 rules that need the request's version, applied between NIO's HTTP/1 codec and the conversion to
/// HTTPTypes (which drops the version):
///
/// * **Persistence** (RFC 9112 §9.3, §9.6): `Connection: close` in any case or inside a list, and HTTP/1.0 without
///   `keep-alive`, get an answer saying `Connection: close`, and the connection closes once it is written; nothing is
///   written after it. HTTP/1.0 with `keep-alive` is told `Connection: keep-alive`. (Hummingbird 2.28.1 compares the
///   header with "close" exactly, so `Close` and HTTP/1.0 left connections open.)
/// * **Host** (RFC 9112 §3.2): an HTTP/1.1 request without `Host`, or any request with more than one, is refused
///   with a problem+json 400 naming the field, after the answers to the requests before it; the connection then
///   closes (`ExpectContinueHandler` writes the refusal, in order).
/// * **Expectations of HTTP/1.0** are dropped (RFC 9110 §10.1.1): no interim answer goes to an HTTP/1.0 client.
/// * **An upgrade the service does not take** (`Connection: upgrade` with `Upgrade`, as `curl --http2` sends for
///   h2c, or `CONNECT`) is answered as HTTP/1.1 and the connection then closes. RFC 9110 §7.8 lets a server ignore
///   `Upgrade` and go on, but NIO's decoder stops reading a connection after such a request (it waits for an upgrade
///   handler that is not there), so a request after it would wait for the idle timeout instead of being answered.
final class HTTP1RequestRules: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum Persistence {
        case keep
        case keepHTTP10
        case close
    }

    /// For each request not yet answered, in order: what happens to the connection after its answer.
    private var persistence: [Persistence] = []
    private var closing = false
    /// A request was refused: everything after it is dropped until the connection closes.
    private var refused = false
    /// The connection's request pace (`ByteLaneHandler` checks it): a request is over once its end is read.
    private let progress: RequestProgress?

    init(progress: RequestProgress? = nil) {
        self.progress = progress
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        let part = unwrapInboundIn(data)
        if case .end = part { progress?.requestEnded() }
        if case .head(var head) = part {
            let hosts = head.headers["host"].count
            let beforeHTTP11 = head.version.major < 1 || (head.version.major == 1 && head.version.minor == 0)
            if hosts > 1 || (hosts == 0 && !beforeHTTP11) {
                refused = true
                let detail = hosts == 0
                    ? "An HTTP/1.1 request must carry a Host header (RFC 9112 §3.2)."
                    : "The request carries \(hosts) Host headers; exactly one is allowed (RFC 9112 §3.2)."
                context.fireErrorCaught(RequestRefusal(problem: Problem.badRequest(detail, errors: [FieldIssue(field: "Host", message: hosts == 0 ? "is required" : "must appear once")])))
                return
            }
            persistence.append(!head.isKeepAlive || Self.asksForUpgrade(head) ? .close : beforeHTTP11 ? .keepHTTP10 : .keep)
            if beforeHTTP11, head.headers.contains(name: "expect") {
                // RFC 9110 §10.1.1: an HTTP/1.0 request's 100-continue is ignored.
                head.headers.remove(name: "expect")
                return context.fireChannelRead(wrapInboundOut(.head(head)))
            }
        }
        context.fireChannelRead(data)
    }

    /// Whether NIO's decoder takes `head` for an upgrade (llhttp's rule: `CONNECT`, or an `Upgrade` field with
    /// `upgrade` among the `Connection` options) and so reads nothing more from the connection after it.
    static func asksForUpgrade(_ head: HTTPRequestHead) -> Bool {
        if head.method == .CONNECT { return true }
        guard head.headers.contains(name: "upgrade") else { return false }
        return head.headers["connection"].contains { value in
            value.split(separator: ",").contains { $0.filter { $0 != " " && $0 != "\t" }.lowercased() == "upgrade" }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !closing else {
            promise?.succeed(())
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status == .continue:
            // The client was holding its body back until now: its pace counts from here.
            progress?.continueSent()
            context.write(data, promise: promise)
        case .head(var head) where head.status.code >= 200 && persistence.first == .close:
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .head(var head) where head.status.code >= 200 && persistence.first == .keepHTTP10:
            head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            context.write(data, promise: promise)
            guard !persistence.isEmpty, persistence.removeFirst() == .close else { return }
            closing = true
            context.flush()
            context.close(promise: nil)
        default:
            context.write(data, promise: promise)
        }
    }
}
