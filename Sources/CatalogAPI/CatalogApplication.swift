import Logging
import ServiceLifecycle

/// The whole service as one `Service`: the services behind the HTTP server (access log, database pool, catalog
/// snapshots, usage batching) and the server itself, in one group. Graceful shutdown goes through them in reverse
/// order, so the server finishes its requests while the pool, the snapshots and the access log still run.
public struct CatalogApplication: Service {
    let services: [any Service]
    let server: CatalogServer
    let logger: Logger

    public func run() async throws {
        try await ServiceGroup(configuration: .init(services: services + [server], logger: logger)).run()
    }
}
