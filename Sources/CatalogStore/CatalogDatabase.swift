import Logging
import PostgresNIO
import _ConnectionPoolModule
import ServiceLifecycle
import Synchronization

/// The service's PostgreSQL: a `PostgresClient` pool plus counters that `/metrics` reports. Run it as a service.
///
/// After PostgreSQL has been away, a pool can sit in its reconnect backoff for up to a minute although the server
/// is back. So when an operation finds the database unavailable, a probe on a fresh connection follows, and once
/// PostgreSQL answers again (the probe, or the catalog listener reconnecting) the pool is replaced by a fresh one:
/// the service recovers within seconds, without a restart.
public final class CatalogDatabase: Service, Sendable {
    public let url: DatabaseURL
    public let logger: Logger
    public let maximumConnections: Int
    /// Operations holding or waiting for a connection right now (guarded by the mutex: requests run concurrently).
    private let inFlight = Mutex(0)
    private let pool: Mutex<PoolState>

    struct PoolState {
        var client: PostgresClient
        /// The task running `client`, once `run()` started it.
        var runner: Task<Void, Never>?
        var running = false
        /// An operation found PostgreSQL unavailable since the pool was (re)made.
        var failed = false
        var probing = false
        var lastReplacement: ContinuousClock.Instant?
    }

    /// A streaming standby for read-only work (`DATABASE_READ_URL`), run and shut down with this pool.
    public let standby: CatalogDatabase?
    /// This pool is a standby's: its reads fall back to the primary, so waiting out contention here is pointless.
    let standbyOf: Bool
    /// Where the primary's WAL stood after this process's latest operation on it: a standby serves reads only once
    /// it has replayed that far (`StandbyReads.swift`).
    let writePosition = Mutex<Int64>(0)
    /// How far the standby was last seen to have replayed.
    let replayedPosition = Mutex<Int64>(0)
    /// Read-only operations served by the standby and by the primary (`/metrics`).
    let readsServedCounts = Mutex<(standby: Int, primary: Int)>((0, 0))

    /// A pool on `url`, and one on `readURL` (a streaming standby of it) when given, for read-only work.
    public convenience init(url: DatabaseURL, readURL: DatabaseURL? = nil, maximumConnections: Int = 20, logger: Logger) {
        let standby = readURL.map { CatalogDatabase(url: $0, maximumConnections: maximumConnections, standby: nil, standbyOf: true, logger: logger) }
        self.init(url: url, maximumConnections: maximumConnections, standby: standby, standbyOf: false, logger: logger)
    }

    private init(url: DatabaseURL, maximumConnections: Int, standby: CatalogDatabase?, standbyOf: Bool, logger: Logger) {
        self.url = url
        self.logger = logger
        self.maximumConnections = maximumConnections
        self.standby = standby
        self.standbyOf = standbyOf
        self.watchdog = OperationWatchdog(closedConnectionGrace: Self.closedConnectionGrace, logger: logger)
        let client = PostgresClient(configuration: url.clientConfiguration(maximumConnections: maximumConnections), backgroundLogger: logger)
        self.pool = Mutex(PoolState(client: client))
    }

    /// The pool in use now (a new one after a recovery).
    public var client: PostgresClient { pool.withLock { $0.client } }

    /// Runs the pool until cancellation or graceful shutdown, then shuts it (and any replaced one) down.
    public func run() async throws {
        let (stopped, stop) = AsyncStream.makeStream(of: Void.self)
        pool.withLock { state in
            let client = state.client
            state.runner = Task { await client.run() }
            state.running = true
        }
        // The standby's pool runs beside this one and stops with it.
        let standbyRunner = standby.map { standby in Task { try? await standby.run() } }
        await withTaskCancellationOrGracefulShutdownHandler {
            for await _ in stopped {}
        } onCancelOrGracefulShutdown: {
            stop.finish()
        }
        standbyRunner?.cancel()
        let runner = pool.withLock { state -> Task<Void, Never>? in
            state.running = false
            return state.runner
        }
        runner?.cancel()
        guard let runner else { return }
        // A pool whose connections PostgreSQL dropped can take a long time to wind down; do not hold the
        // process's shutdown on it for more than a few seconds.
        if await !FirstAnswer.awaitAll([runner], atMost: .seconds(3)) {
            logger.warning("connection pool did not shut down within 3 s; leaving it")
        }
    }

    /// PostgreSQL answered again (a probe, or another connection of this service): if an operation failed since
    /// the pool was made, replace the pool so the next operation does not wait out its backoff.
    public func noteReachable() {
        let replace = pool.withLock { state -> Bool in
            guard state.running, state.failed else { return false }
            if let last = state.lastReplacement, ContinuousClock.now - last < .seconds(1) { return false }
            let fresh = PostgresClient(configuration: url.clientConfiguration(maximumConnections: maximumConnections), backgroundLogger: logger)
            let old = state.runner
            state.client = fresh
            state.runner = Task { await fresh.run() }
            state.failed = false
            state.lastReplacement = .now
            // The old pool winds down later: operations that leased from it before the outage are not cut off.
            if let old {
                Task {
                    try? await Task.sleep(for: .seconds(30))
                    old.cancel()
                }
            }
            return true
        }
        if replace { logger.notice("PostgreSQL is reachable again; connection pool replaced") }
    }

    /// An operation succeeded: the pool works (a load spike, not an outage, made an earlier one time out).
    func noteSuccess() {
        pool.withLock { state in if state.failed { state.failed = false } }
    }

    /// An operation (or another connection of this service) found PostgreSQL unavailable: probe with a fresh
    /// connection until it answers, then recover.
    public func noteUnavailable() {
        let startProbe = pool.withLock { state -> Bool in
            state.failed = true
            guard state.running, !state.probing else { return false }
            state.probing = true
            return true
        }
        guard startProbe else { return }
        Task {
            var delay: Duration = .milliseconds(200)
            while pool.withLock({ $0.running && $0.failed }) {
                if await ping(timeout: .seconds(2)) {
                    noteReachable()
                    break
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
            }
            pool.withLock { $0.probing = false }
        }
    }

    /// Whether an operation found PostgreSQL unavailable and the pool has not recovered since.
    public var isFailing: Bool { pool.withLock { $0.failed } }

    /// Operations currently using or waiting for the pool.
    public var operationsInFlight: Int { inFlight.withLock { $0 } }

    /// How long an operation waits for a pooled connection before answering "unavailable" while PostgreSQL is known
    /// to be away (the pool itself would wait through its reconnect backoff, up to a minute).
    public static let acquireTimeout: Duration = .seconds(3)
    /// The same wait while PostgreSQL is believed up: connections may all be busy with writers queued on the
    /// catalog version's row lock, which is contention to wait out, not an outage.
    public static let busyAcquireTimeout: Duration = .seconds(15)

    /// How long a body may still run after its connection closed before the caller is answered "unavailable".
    static let closedConnectionGrace: Duration = .seconds(2)

    /// Every operation's acquire timeout and connection, watched by one periodic sweep.
    let watchdog: OperationWatchdog

    /// The wait for a connection now.
    var currentAcquireTimeout: Duration {
        standbyOf || pool.withLock { $0.failed } ? Self.acquireTimeout : Self.busyAcquireTimeout
    }

    /// Runs `body` in a transaction, mapping connection failures to `StoreError.unavailable`.
    ///
    /// Not postgres-nio's `withTransaction`: that one always sends ROLLBACK after a failed body, and a query written
    /// to a connection that is closing under it (PostgreSQL killed mid-transaction) can wait forever — postgres-nio
    /// 1.33 writes queries with no write promise, so a write the closed channel refuses never fails the query. When
    /// the body failed because the connection is gone there is nothing to roll back (PostgreSQL aborts a transaction
    /// whose session ends), so no ROLLBACK is sent — the connection is closed instead. Any other failure rolls back.
    public func transaction<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await withConnectionOrTimeout { connection in try await self.inTransaction(on: connection, body) }
    }

    /// `body` between BEGIN and COMMIT on `connection` (see `transaction`).
    func inTransaction<Result: Sendable>(on connection: PostgresConnection, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await connection.query("BEGIN", logger: logger)
        let value: Result
        do {
            value = try await body(connection)
        } catch {
            if Self.isConnectionGone(error) || connection.isClosed {
                // Make sure it is closed, so the pool never hands out a session still inside this transaction.
                connection.close().whenComplete { _ in }
            } else {
                _ = try? await connection.query("ROLLBACK", logger: logger)
            }
            throw error
        }
        try await connection.query("COMMIT", logger: logger)
        return value
    }

    /// Whether `error` says this connection's session is over (so its transaction is too).
    static func isConnectionGone(_ error: any Error) -> Bool {
        guard let psql = error as? PSQLError else { return false }
        switch psql.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection: return true
        default: return false
        }
    }

    /// Whether `error` means PostgreSQL (or the connection to it) went away.
    static func isUnavailable(_ error: any Error) -> Bool {
        if case StoreError.unavailable? = mapped(error) as? StoreError { return true }
        return false
    }

    /// Runs `body` with a pooled connection, outside any explicit transaction.
    public func connection<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await withConnectionOrTimeout(body)
    }

    /// Leases a connection, giving up after `acquireTimeout` if none arrives; once `body` runs it is never cut short.
    func withConnectionOrTimeout<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        inFlight.withLock { $0 += 1 }
        defer { inFlight.withLock { $0 -= 1 } }
        let client = self.client
        let lease = Lease<Result>()
        do {
            // The lease runs unstructured: a pool in its reconnect backoff ignores cancellation, and a task group
            // would wait for it. Whoever comes first — a connection or the timeout — decides; a connection that
            // arrives after the caller was told "unavailable" is handed back without running `body`.
            return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
                lease.set(continuation)
                // Watched from here on (after `set`, so a timeout always finds the continuation to answer).
                let id = watchdog.watch(lease, acquireTimeout: currentAcquireTimeout)
                Task {
                    defer { self.watchdog.end(id) }
                    do {
                        let value: Result? = try await client.withConnection { connection in
                            guard lease.start() else { return nil }
                            // The safety net for the postgres-nio hang described at `transaction`: once the
                            // connection has closed, a body still waiting after a grace period is answered
                            // "unavailable" by the watchdog (its query will never complete; the caller must not
                            // wait with it).
                            self.watchdog.running(id, on: connection)
                            let value = try await body(connection)
                            // With a standby, reads after this operation must see its effects: note the WAL position.
                            if self.standby != nil { await self.noteWritePosition(on: connection) }
                            return value
                        }
                        if let value {
                            self.noteSuccess()
                            lease.finish(.success(value))
                        }
                    } catch {
                        lease.finish(.failure(error))
                    }
                }
            }
        } catch is AcquireTimedOut {
            // No connection in time. While PostgreSQL is believed up this is contention, not an outage: answer
            // 503 but leave the pool alone (connection errors, not waits, mark it failed). A standby's pool is
            // marked: its reads go to the primary at once, until a probe finds the standby answering again.
            if standbyOf { noteUnavailable() }
            throw StoreError.unavailable
        } catch {
            let mapped = Self.mapped(error)
            if Self.isUnavailable(mapped) { noteUnavailable() }
            throw mapped
        }
    }

    /// A lease's timeout passed before a connection arrived.
    struct AcquireTimedOut: Error {}

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

/// Resumes a continuation with whichever answer comes first (a probe or its timeout, work or cancellation), in
/// either order relative to `set`.
public final class FirstAnswer: Sendable {
    private enum State {
        case waiting(CheckedContinuation<Bool, Never>?)
        case answered(Bool)
    }

    private let state = Mutex<State>(.waiting(nil))

    public init() {}

    /// Hands over the continuation; resumed at once if an answer came before it.
    public func set(_ value: CheckedContinuation<Bool, Never>) {
        let early = state.withLock { state -> Bool? in
            if case .answered(let answer) = state { return answer }
            state = .waiting(value)
            return nil
        }
        if let early { value.resume(returning: early) }
    }

    /// Resumes with `value` unless an answer came first; whether this call was the first answer.
    @discardableResult
    public func resume(_ value: Bool) -> Bool {
        let (first, pending) = state.withLock { state -> (Bool, CheckedContinuation<Bool, Never>?) in
            guard case .waiting(let continuation) = state else { return (false, nil) }
            state = .answered(value)
            return (true, continuation)
        }
        pending?.resume(returning: value)
        return first
    }

    /// Waits for `tasks` to finish, but no longer than `limit`; whether they finished. Shutdown paths use it so a
    /// PostgreSQL connection that ignores cancellation cannot hold the process forever.
    public static func awaitAll(_ tasks: [Task<Void, Never>], atMost limit: Duration) async -> Bool {
        let finished = FirstAnswer()
        return await withCheckedContinuation { continuation in
            finished.set(continuation)
            Task {
                for task in tasks { await task.value }
                finished.resume(true)
            }
            Task {
                try? await Task.sleep(for: limit)
                finished.resume(false)
            }
        }
    }
}
