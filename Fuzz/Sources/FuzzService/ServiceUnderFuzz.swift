import CatalogAPI
import CatalogStore
import Dispatch
import Foundation
import Logging

/// The whole service, started in this process on a loopback port: the same `buildApplication` as `serve`, on a
/// database of the fuzz run's own, loaded with the seed packs so resolve and the webhooks have stickers to find.
/// The tokens are the test suite's (`TestService`), so the corpus written from the tests authenticates here.
enum ServiceUnderFuzz {
    static let adminToken = "test-admin-token-0123456789"
    static let gatewayToken = "test-gateway-token-0123456789"
    static let webhookSecret = "test-webhook-secret-0123456789"

    /// Discards log lines below `error` but keeps the level, so the service takes the code paths of the level it is
    /// given; errors go to standard error, where a finding's report shows them.
    struct DiscardingLogHandler: LogHandler {
        var logLevel: Logger.Level
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            guard event.level >= .error else { return }
            FileHandle.standardError.write(Data("service \(event.level): \(event.message) \(event.metadata ?? [:])\n".utf8))
        }
    }

    /// Starts the service and returns its port once its snapshot holds the seed packs.
    static func start() -> Int {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment["FUZZ_DATABASE_URL"], let databaseURL = try? DatabaseURL(url) else {
            fatalError("FUZZ_DATABASE_URL must name an empty (or earlier fuzz) database: scripts/fuzz sets it")
        }
        let level = environment["FUZZ_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let logger = Logger(label: "fuzz") { _ in DiscardingLogHandler(logLevel: level) }
        let port = Int(environment["FUZZ_PORT"] ?? "") ?? 18_000 + Int(getpid() % 20_000)
        // A short idle timeout: a mutant that promises more body than it sends costs a second, not thirty.
        let configuration = ServiceConfiguration(
            databaseURL: databaseURL, port: port, adminToken: adminToken, gatewayToken: gatewayToken, webhookSecret: webhookSecret,
            publicBaseURL: "https://cdn.example.com", logLevel: level, databasePoolSize: 8, httpIdleTimeout: .seconds(1)
        )
        let seedDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../Seed").standardized
        let ready = DispatchSemaphore(value: 0)
        Task {
            let (app, components) = try await buildApplication(configuration: configuration, logger: logger)
            Task {
                while components.snapshots.current == nil { try await Task.sleep(for: .milliseconds(20)) }
                _ = try await SeedLoader(repository: components.packs).load(directory: seedDirectory)
                _ = await components.snapshots.waitForVersion(try await components.packs.catalogVersion())
                ready.signal()
            }
            try await app.run()
        }
        if ready.wait(timeout: .now() + 120) == .timedOut { fatalError("the service under fuzz did not start within 120 s") }
        return port
    }
}
