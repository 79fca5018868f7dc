import HTTPTypes
import Hummingbird
import Logging

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
