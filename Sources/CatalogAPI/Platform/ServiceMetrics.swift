import CoreMetrics
import Foundation
import Metrics
import Prometheus

/// The process-wide Prometheus registry. swift-metrics can be bootstrapped once per process, so the first
/// application built does it and later ones (tests build many) share it.
enum ServiceMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Prometheus names allow [a-zA-Z0-9_:]; Hummingbird's labels use dots.
        factory.nameAndLabelSanitizer = { name, labels in
            (sanitize(name), labels.map { (sanitize($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    static func sanitize(_ name: String) -> String {
        String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") ? $0 : "_" })
    }

    static let poolMaximum = registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "catalog_db_pool_max_connections", unitName: "", helpText: "Connections the PostgreSQL pool may open"))
    static let operationsInFlight = registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "catalog_db_operations_in_flight", unitName: "", helpText: "Database operations holding or waiting for a pooled connection"))
    static let databaseUp = registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "catalog_db_up", unitName: "", helpText: "1 when the last contact with PostgreSQL succeeded"))
    static let snapshotVersion = registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "catalog_snapshot_version", unitName: "", helpText: "Catalog version served from memory"))
    /// Read-only operations since start by the server that answered them (`DATABASE_READ_URL`: the standby, or the
    /// primary while the standby lags or is away); both 0 without a standby.
    static let standbyReads = registry.makeGauge(name: "catalog_db_reads", labels: [("served_by", "standby")], help: "Read-only database operations since start, by the server that served them")
    static let primaryReads = registry.makeGauge(name: "catalog_db_reads", labels: [("served_by", "primary")], help: "Read-only database operations since start, by the server that served them")

    /// Touches the registry so bootstrap happens before the first request.
    static func bootstrap() { _ = registry }
}
