import CatalogStore
import Hummingbird
import OpenIMContent

/// `/healthz`, `/readyz` and `/metrics`: for load balancers, orchestrators and Prometheus.
struct HealthController {
    let database: CatalogDatabase
    let snapshots: CatalogSnapshotStore

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in
            Self.json(.ok, ["status": .string("ok")])
        }
        router.get("/readyz") { _, _ in await self.readiness() }
        router.get("/metrics") { _, _ in self.metrics() }
    }

    static func json(_ status: HTTPResponse.Status, _ members: [String: JSONValue]) -> Response {
        var writer = JSONWriter()
        writer.value(.object(members.map { ($0.key, $0.value) }))
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// Ready when the database answers and a snapshot is loaded; otherwise 503 with the reason. With a snapshot but
    /// no database the service is "degraded": public reads still work from memory, writes do not.
    func readiness() async -> Response {
        let databaseUp = await database.ping()
        snapshots.isDatabaseReachable = databaseUp
        let snapshot = snapshots.current
        var body: [String: JSONValue] = [
            "database": .string(databaseUp ? "up" : "unreachable"),
            "catalogVersion": snapshot.map { .integer($0.version) } ?? .null,
        ]
        switch (databaseUp, snapshot != nil) {
        case (true, true):
            body["status"] = .string("ready")
            return Self.json(.ok, body)
        case (false, true):
            body["status"] = .string("degraded")
            body["reason"] = .string("PostgreSQL is unreachable; the catalog is served from memory and writes fail")
        case (true, false):
            body["status"] = .string("starting")
            body["reason"] = .string("the catalog snapshot is not loaded yet")
        case (false, false):
            body["status"] = .string("unavailable")
            body["reason"] = .string("PostgreSQL is unreachable and no catalog snapshot is loaded")
        }
        return Self.json(.serviceUnavailable, body)
    }

    func metrics() -> Response {
        ServiceMetrics.poolMaximum.set(Double(database.maximumConnections))
        ServiceMetrics.operationsInFlight.set(Double(database.operationsInFlight))
        ServiceMetrics.databaseUp.set(snapshots.isDatabaseReachable ? 1.0 : 0.0)
        ServiceMetrics.snapshotVersion.set(Double(snapshots.current?.version ?? -1))
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: ServiceMetrics.registry.emitToBuffer())))
    }
}
