import CatalogCore
import CatalogStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Collects usage from after-send callbacks in memory and writes it to PostgreSQL in batches, so the webhook never
/// waits for the database. While PostgreSQL is away events stay buffered (up to `maximumPending`; beyond that new
/// ones are dropped and counted in the log), and the next flush writes them.
///
/// OpenIM's after-callbacks are best-effort themselves (no retries, lost on its restart); a crash of this process
/// loses at most one flush interval of counts.
public final class UsageRecorder: Sendable {
    let repository: any UsageRepository
    private let pending = Mutex<[String: UsageEvent]>([:])
    private let dropped = Mutex(0)
    private let arrivals = Atomic<Int64>(0)
    public static let maximumPending = 100_000

    init(repository: any UsageRepository) {
        self.repository = repository
    }

    /// Buffers `event`; a message already buffered is not counted twice.
    func add(_ event: UsageEvent) {
        var event = event
        event.arrival = arrivals.add(1, ordering: .relaxed).newValue
        let accepted = pending.withLock { buffer -> Bool in
            if buffer[event.messageKey] != nil { return true }
            guard buffer.count < Self.maximumPending else { return false }
            buffer[event.messageKey] = event
            return true
        }
        if !accepted { dropped.withLock { $0 += 1 } }
    }

    /// Events waiting for the next flush.
    public var pendingCount: Int { pending.withLock { $0.count } }

    /// Writes the buffered events. When PostgreSQL is unavailable, or the transaction was rolled back for a conflict
    /// (SQLSTATE class 40), they go back into the buffer for the next flush; any other failure is about the batch
    /// itself, which would fail the same way every time, so it is dropped (and counted as dropped) rather than
    /// blocking every flush after it. Returns how many were newly counted.
    @discardableResult
    public func flush() async throws -> Int {
        let batch = pending.withLock { buffer -> [UsageEvent] in
            defer { buffer.removeAll(keepingCapacity: true) }
            return Array(buffer.values)
        }
        guard !batch.isEmpty else { return 0 }
        do {
            return try await repository.record(batch)
        } catch {
            if Self.isWorthRetrying(error) {
                pending.withLock { buffer in
                    for event in batch where buffer[event.messageKey] == nil && buffer.count < Self.maximumPending { buffer[event.messageKey] = event }
                }
            } else {
                dropped.withLock { $0 += batch.count }
            }
            throw error
        }
    }

    /// Whether a failed flush may succeed with the same events later.
    static func isWorthRetrying(_ error: any Error) -> Bool {
        if case StoreError.unavailable? = error as? StoreError { return true }
        return CatalogDatabase.sqlState(error)?.hasPrefix("40") ?? false
    }

    /// Recomputes the catalog's popular list; the new catalog version when it changed.
    public func refreshPopular() async throws -> Int64? {
        try await repository.refreshPopular(limit: Self.popularSize, days: Self.popularDays)
    }

    /// The popular list: top 20 stickers over the last 7 days.
    public static let popularSize = 20
    public static let popularDays = 7

    /// Events dropped because the buffer was full or PostgreSQL refused their batch (reset when read).
    func takeDropped() -> Int { dropped.withLock { value in defer { value = 0 }; return value } }
}

/// Flushes usage every `flushInterval` and refreshes the popular list every `popularInterval`.
final class UsageService: Service {
    let recorder: UsageRecorder
    let flushInterval: Duration
    let popularInterval: Duration
    let logger: Logger

    init(recorder: UsageRecorder, flushInterval: Duration, popularInterval: Duration, logger: Logger) {
        self.recorder = recorder
        self.flushInterval = flushInterval
        self.popularInterval = popularInterval
        self.logger = logger
    }

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                var lastPopular = ContinuousClock.now
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.flushInterval)
                    await self.tick(lastPopular: &lastPopular)
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        // Write what is buffered before the process exits.
        _ = try? await recorder.flush()
    }

    func tick(lastPopular: inout ContinuousClock.Instant) async {
        do {
            try await recorder.flush()
        } catch {
            logger.warning("usage flush failed", metadata: [
                "pending": .stringConvertible(recorder.pendingCount), "retried": .stringConvertible(UsageRecorder.isWorthRetrying(error)),
                "error.type": .string(String(describing: type(of: error))), "sqlstate": .string(CatalogDatabase.sqlState(error) ?? ""),
            ])
        }
        let dropped = recorder.takeDropped()
        if dropped > 0 { logger.error("usage events dropped (buffer full, or a batch PostgreSQL refused)", metadata: ["dropped": .stringConvertible(dropped)]) }
        guard ContinuousClock.now - lastPopular >= popularInterval else { return }
        lastPopular = ContinuousClock.now
        do {
            if let version = try await recorder.refreshPopular() {
                logger.info("popular stickers changed", metadata: ["catalog.version": .stringConvertible(version)])
            }
        } catch {
            logger.warning("popular refresh failed", metadata: ["error.type": .string(String(describing: type(of: error)))])
        }
    }
}
