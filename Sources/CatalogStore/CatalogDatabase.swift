import Logging
import PostgresNIO
import Synchronization

/// The service's PostgreSQL: a `PostgresClient` pool (run as a service by the application) plus counters that
/// `/metrics` reports.
public final class CatalogDatabase: Sendable {
    public let client: PostgresClient
    public let url: DatabaseURL
    public let logger: Logger
    public let maximumConnections: Int
    /// Operations holding or waiting for a connection right now (guarded by the mutex: requests run concurrently).
    private let inFlight = Mutex(0)

    public init(url: DatabaseURL, maximumConnections: Int = 20, logger: Logger) {
        self.url = url
        self.logger = logger
        self.maximumConnections = maximumConnections
        self.client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: maximumConnections), backgroundLogger: logger)
    }

    /// Operations currently using or waiting for the pool.
    public var operationsInFlight: Int { inFlight.withLock { $0 } }

    /// Runs `body` in a transaction, mapping connection failures to `StoreError.unavailable`.
    public func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        inFlight.withLock { $0 += 1 }
        defer { inFlight.withLock { $0 -= 1 } }
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            if let closure = error.closureError { throw Self.mapped(closure) }
            throw Self.mapped(error.beginError ?? error.commitError ?? error.rollbackError ?? error)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Runs `body` with a pooled connection, outside any explicit transaction.
    public func connection<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        inFlight.withLock { $0 += 1 }
        defer { inFlight.withLock { $0 -= 1 } }
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// SQLSTATE of a server error, if `error` is one.
    public static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    static func mapped(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        if let psql = error as? PSQLError {
            switch psql.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .unexpectedBackendMessage:
                return StoreError.unavailable
            default:
                // 57P01 admin_shutdown, 57P03 cannot_connect_now, 08xxx connection exceptions.
                if let state = sqlState(psql), state.hasPrefix("08") || state.hasPrefix("57P") { return StoreError.unavailable }
                return error
            }
        }
        if error is IOError || error is ChannelError || error is CancellationError { return StoreError.unavailable }
        return error
    }

    /// A quick liveness query, bounded by `timeout`.
    public func ping(timeout: Duration = .seconds(2)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                (try? await self.connection { connection in
                    try await connection.query("SELECT 1", logger: self.logger)
                    return true
                }) ?? false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
