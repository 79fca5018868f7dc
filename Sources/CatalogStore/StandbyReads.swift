import PostgresNIO

/// Read-only work on a streaming standby (`DATABASE_READ_URL`), without ever reading older than this process's writes.
///
/// After every operation on the primary the pool notes the primary's WAL position (`pg_current_wal_lsn()`, which is
/// past the operation's commit). A read goes to the standby once the standby has replayed at least that far
/// (`pg_last_wal_replay_lsn()`); it waits for the replay up to `replayWait`, then runs on the primary instead. A
/// standby that is down or failing is skipped the same way, so reads never depend on it. A catalog change made by
/// another replica raises the mark too: the snapshot service calls `catchUpWithPrimary()` on each notification.
extension CatalogDatabase {
    /// How long a read waits for the standby to replay this process's writes before it runs on the primary.
    public static let replayWait: Duration = .seconds(1)

    /// Runs read-only `body` on the standby when it has replayed this process's writes, else on the primary.
    public func read<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await onReplica(transactional: false, body)
    }

    /// `read` inside a transaction (for `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY` views).
    public func readTransaction<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await onReplica(transactional: true, body)
    }

    /// Read-only operations the standby and the primary served since start.
    public var readsServed: (standby: Int, primary: Int) { readsServedCounts.withLock { $0 } }

    /// Notes the primary's WAL position now, so later reads wait for the standby to replay it. Without a standby
    /// this does nothing.
    public func catchUpWithPrimary() async throws {
        guard standby != nil else { return }
        try await connection { _ in () }  // the pool notes the position after every operation
    }

    private func onReplica<Result: Sendable>(transactional: Bool, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        if let standby, !standby.isFailing {
            let target = writePosition.withLock { $0 }
            do {
                let answer: Result? = try await standby.withConnectionOrTimeout { connection in
                    guard try await self.standbyHasReplayed(target, on: connection) else { return nil }
                    return transactional ? try await standby.inTransaction(on: connection, body) : try await body(connection)
                }
                if let answer {
                    readsServedCounts.withLock { $0.standby += 1 }
                    return answer
                }
                logger.debug("standby has not replayed this replica's writes in time; reading from the primary")
            } catch where Self.isUnavailable(error) {
                logger.debug("standby unavailable; reading from the primary")
            }
        }
        if standby != nil { readsServedCounts.withLock { $0.primary += 1 } }
        return transactional ? try await transaction(body) : try await connection(body)
    }

    /// Whether the standby behind `connection` has replayed the primary's WAL up to `target`, waiting up to
    /// `replayWait` for it. A server that is not in recovery (a primary given as the read URL) always has.
    func standbyHasReplayed(_ target: Int64, on connection: PostgresConnection) async throws -> Bool {
        if target <= replayedPosition.withLock({ $0 }) { return true }
        let deadline = ContinuousClock.now + Self.replayWait
        while true {
            var replayed: Int64?
            for try await position in try await connection.query("SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::int8", logger: logger).decode(Int64?.self) {
                replayed = position
            }
            guard let replayed else { return true }
            let seen = replayedPosition.withLock { current in
                current = max(current, replayed)
                return current
            }
            if seen >= target { return true }
            if ContinuousClock.now >= deadline { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Records the primary's current WAL position as the least a standby read must have replayed.
    func noteWritePosition(on connection: PostgresConnection) async {
        do {
            for try await position in try await connection.query("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::int8", logger: logger).decode(Int64.self) {
                writePosition.withLock { $0 = max($0, position) }
            }
        } catch {
            // The operation itself succeeded; without a fresh mark, reads may still wait on the older one.
            logger.debug("could not read the primary's WAL position", metadata: ["error.type": .string(String(describing: type(of: error)))])
        }
    }
}
