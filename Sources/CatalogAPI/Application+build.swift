import CatalogCore
import CatalogStore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The parts of a running service that tests and commands reach into.
public struct CatalogServiceComponents: Sendable {
    public let database: CatalogDatabase
    public let packs: any PackRepository
    public let media: any MediaRepository
    public let libraries: any LibraryRepository
    public let usage: UsageRecorder
    public let snapshots: CatalogSnapshotStore
    public let configuration: ServiceConfiguration
    /// Requests the byte lane answered rather than the router (tests check which path answered).
    public let laneAnswers: AnswerCounter
    /// One line per request, router and lane alike, written in batches.
    public let accessLog: AccessLog
    /// Set when graceful shutdown begins (`DrainSignal`); readiness is 503 from then on.
    public let drain = DrainState()
}

/// Builds the whole service: pool, repositories, snapshot service, router and server. `serve` and the tests call
/// this same function, so there is no second wiring to drift. `onListening` is told the port the server listens on
/// (tests ask for port 0).
public func buildApplication(
    configuration: ServiceConfiguration, logger: Logger, runMigrations: Bool = true, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> (CatalogApplication, CatalogServiceComponents) {
    ServiceMetrics.bootstrap()
    let database = CatalogDatabase(
        url: configuration.databaseURL, readURL: configuration.databaseReadURL, maximumConnections: configuration.databasePoolSize, logger: logger
    )
    let packs = PostgresPackRepository(database: database, storage: configuration.assetStore.storage())
    let snapshots = CatalogSnapshotStore()
    let snapshotService = CatalogSnapshotService(
        database: database, repository: packs, store: snapshots, databaseURL: configuration.databaseURL, publicBaseURL: configuration.publicBaseURL,
        pollInterval: configuration.catalogPollInterval, logger: logger
    )
    let usage = UsageRecorder(repository: PostgresUsageRepository(database: database, recentsCap: configuration.library.recentsCap))
    let usageService = UsageService(
        recorder: usage, flushInterval: configuration.usageFlushInterval, popularInterval: configuration.popularRefreshInterval, logger: logger
    )
    let components = CatalogServiceComponents(
        database: database, packs: packs, media: PostgresMediaRepository(database: database),
        libraries: PostgresLibraryRepository(database: database), usage: usage, snapshots: snapshots,
        configuration: configuration, laneAnswers: AnswerCounter(), accessLog: AccessLog(logger: logger)
    )
    let (router, rawRoutes) = buildRouter(components: components)
    let serverName = "catalog-service"
    let lane = RawRoutes(routes: rawRoutes, serverName: serverName, logger: logger, accessLog: components.accessLog, answered: components.laneAnswers)
    let idleTimeout = TimeAmount.milliseconds(Int64(configuration.httpIdleTimeout.milliseconds))
    let migrator = runMigrations ? try Migrator() : nil
    let server = CatalogServer(
        host: configuration.host, port: configuration.port, lane: lane, idleTimeout: idleTimeout, minimumRate: configuration.minimumTransferRate,
        responder: RouterResponder.make(router.buildResponder(), serverName: serverName, logger: logger), logger: logger,
        prelude: { try await migrator?.migrate(client: database.client, logger: logger) }, onListening: onListening,
        maximumConnections: configuration.maximumConnections ?? ConnectionCap.processLimit(reserve: 2 * configuration.databasePoolSize + 128)
    )
    // The access log first: graceful shutdown stops services in reverse order, so it writes the last lines.
    let app = CatalogApplication(services: [components.accessLog, database, snapshotService, usageService], server: server, logger: logger)
    return (app, components)
}

/// The router: middleware first, then the route table — every route declared once in its controller, with its
/// audience — registered behind each audience's authenticator; the byte lane's table is derived from the same
/// routes.
func buildRouter(components: CatalogServiceComponents) -> (Router<AppRequestContext>, [RawRoute]) {
    let configuration = components.configuration
    // HEAD wherever GET is (RFC 9110 §9.3.2): the GET handler's answer without its body, unless a route declares HEAD.
    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestMetricsMiddleware())
    router.add(middleware: RequestLoggingMiddleware(accessLog: components.accessLog))
    router.add(middleware: ProblemMiddleware())
    let routeMethods = RouteMethods()
    router.add(middleware: MethodMiddleware(routes: routeMethods))
    router.add(middleware: ContinueSignalMiddleware())

    let responder = RepresentationResponder(cacheControl: configuration.catalogCacheControl)
    let gateway = BearerAuthenticator(audience: "gateway", token: configuration.gatewayToken, otherTokens: [configuration.adminToken])
    let admin = BearerAuthenticator(audience: "admin", token: configuration.adminToken, otherTokens: [configuration.gatewayToken])
    let table = RouteTable(routes:
        HealthController(database: components.database, snapshots: components.snapshots, drain: components.drain).routes()
        + CatalogController(snapshots: components.snapshots, repository: components.packs, responder: responder).routes()
        + SearchController(snapshots: components.snapshots, responder: responder).routes()
        + AssetController(repository: components.packs).routes()
        + GIFConfigController(snapshots: components.snapshots, repository: components.packs, responder: responder).routes()
        + MediaController(repository: components.media, storageOrigin: configuration.storageOrigin).routes()
        + LibraryController(repository: components.libraries, snapshots: components.snapshots, settings: configuration.library).routes()
        + ResolveController(resolver: ContentResolver(snapshots: components.snapshots, media: components.media)).routes(authenticator: gateway)
        + OpenIMWebhookController(
            snapshots: components.snapshots, recorder: components.usage, secret: Array(configuration.webhookSecret.utf8),
            storageOrigin: configuration.storageOrigin
        ).routes()
        + AdminPackController(repository: components.packs, publicBaseURL: configuration.publicBaseURL).routes()
        + ImportController(repository: components.packs).routes()
        + UsageStatsController(repository: components.usage.repository, snapshots: components.snapshots).routes()
        + PreviewController(
            repository: components.packs, snapshots: components.snapshots, adminToken: Array(configuration.adminToken.utf8),
            gatewayToken: Array(configuration.gatewayToken.utf8), publicBaseURL: configuration.publicBaseURL
        ).routes()
    )
    table.register(on: router, gateway: gateway, admin: admin)
    routeMethods.load(from: router)
    return (router, table.laneRoutes)
}
