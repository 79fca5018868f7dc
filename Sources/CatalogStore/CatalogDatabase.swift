import Logging
import PostgresNIO
import _ConnectionPoolModule
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

    /// How long an operation waits for a pooled connection before answering "unavailable". The pool itself would
    /// wait through its reconnect backoff (up to a minute) while PostgreSQL is down.
    public static let acquireTimeout: Duration = .seconds(3)

    /// Runs `body` in a transaction, mapping connection failures to `StoreError.unavailable`.
    public func transaction<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await withConnectionOrTimeout { connection in
            do {
                return try await connection.withTransaction(logger: self.logger) { connection in try await body(connection) }
            } catch let error as PostgresTransactionError {
                if let closure = error.closureError { throw closure }
                throw error.beginError ?? error.commitError ?? error.rollbackError ?? error
            }
        }
    }

    /// Runs `body` with a pooled connection, outside any explicit transaction.
    public func connection<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await withConnectionOrTimeout(body)
    }

    /// Leases a connection, giving up after `acquireTimeout` if none arrives; once `body` runs it is never cut short.
    func withConnectionOrTimeout<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        inFlight.withLock { $0 += 1 }
        defer { inFlight.withLock { $0 -= 1 } }
        let started = StartFlag()
        do {
            return try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    try await self.client.withConnection { connection in
                        started.mark()
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: Self.acquireTimeout)
                    if !started.isMarked { throw StoreError.unavailable }
                    return nil
                }
                while let next = try await group.next() {
                    if let value = next {
                        group.cancelAll()
                        return value
                    }
                }
                throw StoreError.unavailable
            }
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
        // The pool's circuit breaker trips when it cannot connect; a cancelled or shut-down pool is unavailable too.
        if error is ConnectionPoolError || String(describing: type(of: error)).hasSuffix("ConnectionPoolError") { return StoreError.unavailable }
        if error is IOError || error is ChannelError || error is CancellationError { return StoreError.unavailable }
        return error
    }

    /// A quick liveness query, bounded by `timeout`.
    ///
    /// A fresh connection rather than the pool: the answer is about PostgreSQL now, not about the pool's backoff.
    /// The probe runs unstructured so a connect that ignores cancellation cannot hold the caller past `timeout`.
    public func ping(timeout: Duration = .seconds(2)) async -> Bool {
        let answer = FirstAnswer()
        let url = self.url
        let logger = self.logger
        return await withCheckedContinuation { continuation in
            answer.set(continuation)
            let probe = Task {
                var reachable = false
                if let connection = try? await PostgresConnection.connect(configuration: url.connectionConfiguration(), id: 0, logger: logger) {
                    reachable = (try? await connection.query("SELECT 1", logger: logger)) != nil
                    try? await connection.close()
                }
                answer.resume(reachable)
            }
            Task {
                try? await Task.sleep(for: timeout)
                probe.cancel()
                answer.resume(false)
            }
        }
    }
}

/// Set once a leased connection reaches the caller's body.
final class StartFlag: Sendable {
    private let value = Mutex(false)
    func mark() { value.withLock { $0 = true } }
    var isMarked: Bool { value.withLock { $0 } }
}

/// Resumes a continuation with whichever answer comes first (the probe or the timeout).
final class FirstAnswer: Sendable {
    private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)

    func set(_ value: CheckedContinuation<Bool, Never>) {
        continuation.withLock { $0 = value }
    }

    func resume(_ value: Bool) {
        let pending = continuation.withLock { current -> CheckedContinuation<Bool, Never>? in
            defer { current = nil }
            return current
        }
        pending?.resume(returning: value)
    }
}
