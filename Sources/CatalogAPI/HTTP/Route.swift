import HTTPTypes
import Hummingbird
import Logging

/// One route, declared once: its methods, path pattern, audience and handler, and — for the hot routes — how the
/// byte lane answers it from the request's bytes. The router's registration and the lane's table are both derived
/// from it (`RouteTable`), so the two can never disagree on a pattern, a method or who may call.
struct Route: Sendable {
    typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    /// How the byte lane answers the route: whatever it declines (nil) goes to `handler` on the router.
    struct Lane: Sendable {
        var maximumBodyBytes = 0
        /// Whether the request's credentials would be taken, from its head alone: asked before a `100 Continue` and
        /// before `respond`, which only sees admitted requests (a refusal is the router's).
        var admits: @Sendable (RawRequest) -> Bool = { _ in true }
        var respond: @Sendable (_ request: RawRequest, _ logger: () -> Logger) -> RawAnswer?
    }

    let methods: [HTTPRequest.Method]
    let pattern: String
    let audience: Audience
    let handler: Handler
    let lane: Lane?

    init(_ methods: [HTTPRequest.Method], _ pattern: String, _ audience: Audience = .anyone, lane: Lane? = nil, handler: @escaping Handler) {
        self.methods = methods
        self.pattern = pattern
        self.audience = audience
        self.lane = lane
        self.handler = handler
    }

    init(_ method: HTTPRequest.Method, _ pattern: String, _ audience: Audience = .anyone, lane: Lane? = nil, handler: @escaping Handler) {
        self.init([method], pattern, audience, lane: lane, handler: handler)
    }
}
