import CatalogStore
import Hummingbird
import OpenIMContent

/// `/healthz`, `/readyz` and `/metrics`: for load balancers, orchestrators and Prometheus.
struct HealthController {
    let database: CatalogDatabase
    let snapshots: CatalogSnapshotStore
    let drain: DrainState

    func routes() -> [Route] {
        [
            Route(.get, "/healthz") { _, _ in Self.json(.ok, ["status": .string("ok")]) },
            Route(.get, "/readyz") { _, _ in self.readiness() },
            Route(.get, "/metrics") { _, _ in self.metrics() },
        ]
    }

    static func json(_ status: HTTPResponse.Status, _ members: [String: JSONValue]) -> Response {
        var writer = JSONWriter()
        writer.value(.object(members.map { ($0.key, $0.value) }))
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// Readiness is "can this replica serve its traffic", not "is every dependency up": a probe that failed with
    /// the database would take every replica out of rotation at once, although each still serves the catalog,
    /// resolve and the webhooks from memory. So: 200 `ready`, or 200 `degraded` (PostgreSQL unreachable: writes
    /// answer 503) while a snapshot is served; 503 only while starting (no snapshot yet) and while draining after
    /// SIGTERM. It never waits on PostgreSQL: the snapshot service's listener and version checks keep
    /// `isDatabaseReachable` current (within about 2 s of PostgreSQL coming back).
    func readiness() -> Response {
        let now = ContinuousClock.now
        let databaseUp = snapshots.isDatabaseReachable
        let snapshot = snapshots.current
        func seconds(since instant: ContinuousClock.Instant?) -> JSONValue {
            guard let instant else { return .null }
            return .integer(Int64((now - instant).components.seconds))
        }
        var body: [String: JSONValue] = [
            "database": .string(databaseUp ? "up" : "unreachable"),
            "databaseStateSeconds": seconds(since: snapshots.databaseStateSince),
            "catalogVersion": snapshot.map { .integer($0.version) } ?? .null,
            "snapshotAgeSeconds": seconds(since: snapshots.currentLoadedAt),
        ]
        if drain.isDraining {
            body["status"] = .string("draining")
            body["reason"] = .string("graceful shutdown: requests in flight complete, new ones belong on another replica")
            return Self.json(.serviceUnavailable, body)
        }
        guard snapshot != nil else {
            body["status"] = .string("starting")
            body["reason"] = .string(
                databaseUp ? "the catalog snapshot is not loaded yet" : "no catalog snapshot yet, and PostgreSQL is unreachable to load one"
            )
            return Self.json(.serviceUnavailable, body)
        }
        if databaseUp {
            body["status"] = .string("ready")
        } else {
            body["status"] = .string("degraded")
            body["reason"] = .string("PostgreSQL is unreachable: the catalog, assets in memory, resolve and the webhooks are served; writes answer 503")
        }
        return Self.json(.ok, body)
    }

    func metrics() -> Response {
        ServiceMetrics.poolMaximum.set(Double(database.maximumConnections))
        ServiceMetrics.operationsInFlight.set(Double(database.operationsInFlight))
        ServiceMetrics.databaseUp.set(snapshots.isDatabaseReachable ? 1.0 : 0.0)
        ServiceMetrics.snapshotVersion.set(Double(snapshots.current?.version ?? -1))
        let reads = database.readsServed
        ServiceMetrics.standbyReads.set(Double(reads.standby))
        ServiceMetrics.primaryReads.set(Double(reads.primary))
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: ServiceMetrics.registry.emitToBuffer())))
    }
}
