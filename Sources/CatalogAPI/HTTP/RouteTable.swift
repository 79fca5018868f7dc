import HTTPTypes
import Hummingbird
import Logging

/// Who may call a route: the table puts each route behind its audience's check.
enum Audience: Sendable {
    /// No credential (public reads, health; the webhooks carry their secret in the path, the preview its cookie).
    case anyone
    /// `Authorization: Bearer $GATEWAY_TOKEN`.
    case gateway
    /// `Authorization: Bearer $ADMIN_TOKEN`.
    case admin
}

/// One route, declared once: its methods, path pattern, audience and handler, and — for the hot routes — how the
/// byte lane answers it from the request's bytes. The router's registration and the lane's table are both derived
/// from it (`RouteTable`), so the two can never disagree on a pattern, a method or who may call.
struct Route: Sendable {
    typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    /// How the byte lane answers the route: whatever it declines (nil) goes to `handler` on the router.
    struct Lane: Sendable {
        var maximumBodyBytes = 0
        /// Whether the request's credentials would be taken, from its head alone (asked before a `100 Continue`).
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

/// Every route of the service. Registers each on the router behind its audience's authenticator, and gives the
/// byte lane the routes that declare a lane.
struct RouteTable {
    let routes: [Route]

    func register(on router: Router<AppRequestContext>, gateway: BearerAuthenticator, admin: BearerAuthenticator) {
        let gatewayRoutes = router.group().add(middleware: gateway)
        let adminRoutes = router.group().add(middleware: admin)
        for route in routes {
            for method in route.methods {
                let path = RouterPath(route.pattern)
                switch route.audience {
                case .anyone: router.on(path, method: method, use: route.handler)
                case .gateway: gatewayRoutes.on(path, method: method, use: route.handler)
                case .admin: adminRoutes.on(path, method: method, use: route.handler)
                }
            }
        }
    }

    /// The byte lane's table, in declaration order.
    var laneRoutes: [RawRoute] {
        routes.compactMap { route in
            route.lane.map { lane in
                RawRoute(route.pattern, methods: route.methods, maximumBodyBytes: lane.maximumBodyBytes, admits: lane.admits, respond: lane.respond)
            }
        }
    }
}
