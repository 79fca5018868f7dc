import CatalogAPI
import CatalogCore
import CatalogStore
import CatalogTestSupport
import Foundation
import HTTPTypes
import Hummingbird
// @testable: for `TestResponse`'s initializer, which the package does not make public (see `DeadlineClient`).
@testable import HummingbirdTesting
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import Testing

/// Test settings: tokens are fixed, the database is a fresh one per test on the server `scripts/test` started.
enum TestService {
    static let adminToken = "test-admin-token-0123456789"
    static let gatewayToken = "test-gateway-token-0123456789"
    static let webhookSecret = "test-webhook-secret-0123456789"
    static let baseURL = "https://cdn.example.com"

    static var logger: Logger {
        var logger = Logger(label: "catalog-test")
        logger.logLevel = ProcessInfo.processInfo.environment["CATALOG_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        return logger
    }

    struct MissingDatabase: Error, CustomStringConvertible {
        var description: String { "CATALOG_TEST_DATABASE_URL is not set: run the tests with scripts/test, which starts PostgreSQL" }
    }

    /// The server scripts/test started.
    static func serverURL() throws -> DatabaseURL {
        guard let text = ProcessInfo.processInfo.environment["CATALOG_TEST_DATABASE_URL"] else { throw MissingDatabase() }
        return try DatabaseURL(text)
    }

    /// Creates an empty database and returns its URL.
    static func freshDatabase(on server: DatabaseURL? = nil) async throws -> DatabaseURL {
        let server = try server ?? serverURL()
        let name = "catalog_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await withConnection(server, id: 1, "CREATE DATABASE") { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        }
        return server.with(database: name)
    }

    static func configuration(database: DatabaseURL, poll: Duration = .seconds(5)) -> ServiceConfiguration {
        ServiceConfiguration(
            databaseURL: database, adminToken: adminToken, gatewayToken: gatewayToken, webhookSecret: webhookSecret,
            publicBaseURL: baseURL, databasePoolSize: 5, catalogPollInterval: poll,
            // Tests flush usage themselves (UsageRecorder.flush) so counts never race a background flush.
            usageFlushInterval: .seconds(3600)
        )
    }

    /// Builds the service on a fresh database (or `database`), serves it on a port of its own, waits until its
    /// snapshot is loaded and runs `body` with a client.
    @discardableResult
    static func run<Value: Sendable>(
        database: DatabaseURL? = nil, readDatabase: DatabaseURL? = nil, poll: Duration = .seconds(5), library: LibrarySettings? = nil,
        assetStore: AssetStoreSetting? = nil,
        _ body: @escaping @Sendable (any TestClientProtocol, CatalogServiceComponents) async throws -> Value
    ) async throws -> Value {
        // HummingbirdTesting's client keeps one connection for the whole test and never reconnects: a service that
        // closed it for idleness would fail every later request with "I/O on closed channel" (two tests of one loaded
        // run, each idle for over the default 30 s between requests). Within a test, it never does.
        try await runLive(database: database, readDatabase: readDatabase, poll: poll, idleTimeout: testLimit, library: library, assetStore: assetStore) { _, client, components in
            try await body(client, components)
        }
    }

    /// Like `run`, and `body` also gets the port (for raw-socket tests); the idle timeout is short for them (nil:
    /// the service's default). A test that uses the client as well sets one longer than it may pause between requests.
    @discardableResult
    static func runLive<Value: Sendable>(
        database: DatabaseURL? = nil, readDatabase: DatabaseURL? = nil, poll: Duration = .seconds(5), idleTimeout: Duration? = .seconds(1),
        minimumRate: MinimumTransferRate? = nil, library: LibrarySettings? = nil, assetStore: AssetStoreSetting? = nil,
        _ body: @escaping @Sendable (Int, any TestClientProtocol, CatalogServiceComponents) async throws -> Value
    ) async throws -> Value {
        let databaseURL: DatabaseURL
        if let database { databaseURL = database } else { databaseURL = try await freshDatabase() }
        var configuration = configuration(database: databaseURL, poll: poll)
        configuration.databaseReadURL = readDatabase
        if let idleTimeout { configuration.httpIdleTimeout = idleTimeout }
        if let minimumRate { configuration.minimumTransferRate = minimumRate }
        if let library { configuration.library = library }
        if let assetStore { configuration.assetStore = assetStore }
        let settings = configuration
        // The whole test, the service's shutdown included, has a deadline: a run never hangs on one test.
        return try await described {
            try await withDeadline(testLimit, "the test's service (requests, then graceful shutdown)") {
                try await serve(settings) { port, components in
                    let loaded = await components.snapshots.waitForVersion(0)
                    #expect(loaded, "the catalog snapshot did not load")
                    let client = DeadlineClient(port: port)
                    do {
                        let value = try await body(port, client, components)
                        await client.shutdown()
                        return value
                    } catch {
                        await client.shutdown()
                        throw error
                    }
                }
            }
        }
    }

    struct NotListening: Error, CustomStringConvertible {
        var description: String { "the service ended before it listened" }
    }

    /// Builds the service with `configuration` on a free port of its own (port 0), runs it as `serve` does, and runs
    /// `body` with the port once it listens; then shuts it down gracefully and waits for it to end.
    static func serve<Value: Sendable>(
        _ configuration: ServiceConfiguration, runMigrations: Bool = true,
        _ body: @escaping @Sendable (Int, CatalogServiceComponents) async throws -> Value
    ) async throws -> Value {
        var configuration = configuration
        configuration.port = 0
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let (app, components) = try await buildApplication(configuration: configuration, logger: logger, runMigrations: runMigrations) { port in
            listening.yield(port)
        }
        let service = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { listening.finish() }
                try await service.run()
            }
            var next = ports.makeAsyncIterator()
            guard let port = await next.next() else {
                // The service ended before listening: its error says why.
                try await tasks.waitForAll()
                throw NotListening()
            }
            do {
                let value = try await body(port, components)
                await service.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return value
            } catch {
                await service.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// A PostgreSQL error with what it says: PSQLError's description hides the server's message and SQLSTATE (a
    /// run failed with only "PSQLError – Generic description …" to go on).
    struct DescribedDatabaseError: Error, CustomStringConvertible {
        let description: String
    }

    static func described<Value>(_ body: () async throws -> Value) async throws -> Value {
        do {
            return try await body()
        } catch let error as PSQLError {
            throw DescribedDatabaseError(description: String(reflecting: error))
        }
    }

    /// How long one request of the suite's client may go unanswered, and one service-backed test may take.
    static let requestLimit: Duration = .seconds(120)
    static let testLimit: Duration = .seconds(900)
    /// How long a direct PostgreSQL operation of a test may take.
    static let databaseLimit: Duration = .seconds(60)

    /// HummingbirdTesting's client as its live framework uses it (one keep-alive connection), with the suite's wait
    /// instead of the framework's fixed 20 s, and a deadline on every request.
    ///
    /// The framework's client gives up on an answer after 20 s and cannot be told otherwise (`app.test(.live)` builds
    /// it); loaded parallel runs have had uploads, a backfill and a write during a database outage answered later
    /// than that — answers, not hangs, that failed their tests (session 11 run 7, session 12). This client waits as
    /// long as every other wait of the suite (`requestLimit`). Its read timeout races the answer in a task group that
    /// waits for the answer's promise anyway, so an answer that never comes is ended by `withDeadline` instead. A
    /// failure names the request it was.
    final class DeadlineClient: TestClientProtocol, Sendable {
        private let current: Mutex<TestClient>
        let port: Int?

        init(port: Int) {
            self.port = port
            current = Mutex(Self.connected(port: port))
        }

        static func connected(port: Int) -> TestClient {
            let client = TestClient(host: "localhost", port: port, configuration: .init(timeout: TestService.requestLimit + .seconds(10)))
            client.connect()
            return client
        }

        func shutdown() async {
            try? await current.withLock { $0 }.shutdown()
        }

        /// The client, on a fresh connection when the service has closed the last one (its idle timeout, or a
        /// `Connection: close` answer): as HTTP clients do, a request is never written to a connection known closed.
        func open() async -> TestClient {
            let client = current.withLock { $0 }
            if let channel = try? await client.getChannel(), channel.isActive { return client }
            let fresh = Self.connected(port: port ?? 0)
            current.withLock { $0 = fresh }
            try? await client.shutdown()
            return fresh
        }

        struct Failed: Error, CustomStringConvertible {
            let request: String
            let error: any Error
            let after: Duration
            var description: String { "\(request): \(error) after \(after)" }
        }

        func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
            var headers = headers
            headers[.connection] = "keep-alive"
            let request = TestClient.Request(uri, method: method, authority: "localhost", headers: headers, body: body)
            let started = ContinuousClock.now
            do {
                let response = try await withDeadline(TestService.requestLimit, "\(method) \(uri)") { try await self.open().execute(request) }
                return TestResponse(head: response.head, body: response.body ?? ByteBuffer(), trailerHeaders: response.trailerHeaders)
            } catch let error as DeadlineExceeded {
                throw error
            } catch {
                throw Failed(request: "\(method) \(uri)", error: error, after: ContinuousClock.now - started)
            }
        }
    }

    /// Connects to `database`, runs `body` and closes, all within `databaseLimit`.
    @discardableResult
    static func withConnection<Value: Sendable>(
        _ database: DatabaseURL, id: Int, _ what: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> Value
    ) async throws -> Value {
        try await described { try await withDeadline(databaseLimit, "PostgreSQL: \(what)") {
            var configuration = database.connectionConfiguration()
            // PostgresNIO's 10 s covers the TCP connect and the server's start-up of a backend. At the start of a
            // parallel run, hundreds of tests create their databases at once and a backend has taken longer than
            // that (a run failed with "Connect timeout (10 s)" in six tests' CREATE DATABASE). The harness's own
            // connections get the deadline every direct database operation of a test has; the services' pools keep
            // PostgresNIO's default and retry, as in production.
            configuration.options.connectTimeout = .seconds(Int64(databaseLimit.components.seconds))
            let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
            do {
                let value = try await body(connection)
                try await connection.close()
                return value
            } catch {
                try? await connection.close()
                throw error
            }
        } }
    }

    /// Runs a query against `database` directly (to inspect or tamper with state).
    static func query<Row: Sendable>(_ database: DatabaseURL, _ sql: String, as type: Row.Type) async throws -> [Row] where Row: PostgresDecodable {
        try await withConnection(database, id: 2, sql) { connection in
            var rows: [Row] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(Row.self) { rows.append(row) }
            return rows
        }
    }

    /// The plan PostgreSQL chooses for `query`, one line per node.
    static func explain(_ database: DatabaseURL, _ query: PostgresQuery) async throws -> String {
        var explain = query
        explain.sql = "EXPLAIN " + query.sql
        return try await withConnection(database, id: 4, explain.sql) { [explain] connection in
            var lines: [String] = []
            for try await line in try await connection.query(explain, logger: logger).decode(String.self) { lines.append(line) }
            return lines.joined(separator: "\n")
        }
    }

    static func execute(_ database: DatabaseURL, _ sql: String) async throws {
        try await withConnection(database, id: 3, sql) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    /// Counts that must not move when a write is refused.
    struct StateCounts: Equatable {
        var version: Int64
        var packs: Int64
        var stickers: Int64
        var assets: Int64
        var changes: Int64
        var audit: Int64
    }

    static func counts(_ database: DatabaseURL) async throws -> StateCounts {
        func count(_ table: String) async throws -> Int64 { try await query(database, "SELECT count(*) FROM \(table)", as: Int64.self)[0] }
        return StateCounts(
            version: try await query(database, "SELECT version FROM catalog_state", as: Int64.self)[0],
            packs: try await count("sticker_packs"), stickers: try await count("stickers"), assets: try await count("assets"),
            changes: try await count("catalog_changes"), audit: try await count("audit_log")
        )
    }
}

extension HTTPFields {
    static func admin(_ extra: [HTTPField.Name: String] = [:]) -> HTTPFields {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer \(TestService.adminToken)"
        for (name, value) in extra { fields[name] = value }
        return fields
    }
}

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: body) }
}
