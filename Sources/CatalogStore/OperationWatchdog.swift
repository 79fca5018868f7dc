import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// What the watchdog can do to an operation: give up waiting for its connection, or answer it "unavailable".
protocol WatchedOperation: AnyObject, Sendable {
    /// The acquire timeout passed: answer the caller unless a connection arrived.
    func abandon()
    /// Its connection closed under it and the body did not end: answer the caller "unavailable".
    func connectionLost()
}

/// Watches every pooled operation of a `CatalogDatabase` from one periodic sweep: the acquire timeout of operations still
/// waiting for a connection, and the connection of operations running (a body whose connection closed and that has
/// not ended after a grace period is answered "unavailable" — the postgres-nio hang described at
/// `CatalogDatabase.transaction`).
///
/// One sweep every `interval` rather than timers per operation: an operation used to start two tasks, each sleeping
/// on a Dispatch timer (15 s and 500 ms) and cancelled moments later, which at thousands of operations a second cost
/// about a tenth of a library read's CPU. Registering and ending is now an insert and a remove under a lock.
///
/// The sweep is a repeated task on a NIO event loop, scheduled only while operations are in flight — not a Swift
/// task: when CPU-bound work fills Swift's cooperative threads (two here), a sleeping task can wake seconds late,
/// and a timeout is only worth its name if it fires on time.
final class OperationWatchdog: Sendable {
    private struct Entry {
        let operation: any WatchedOperation
        let acquireDeadline: ContinuousClock.Instant
        var connection: PostgresConnection?
        var closedSince: ContinuousClock.Instant?
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var nextID: UInt64 = 0
        var sweeping = false
    }

    private let state = Mutex(State())
    private let interval: TimeAmount
    let closedConnectionGrace: Duration
    let logger: Logger
    private let eventLoop: any EventLoop

    init(
        interval: Duration = .milliseconds(250), closedConnectionGrace: Duration, logger: Logger,
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()
    ) {
        self.interval = TimeAmount(interval)
        self.closedConnectionGrace = closedConnectionGrace
        self.logger = logger
        self.eventLoop = eventLoop
    }

    /// Starts watching `operation`, which gives up on a connection after `acquireTimeout`; its id.
    func watch(_ operation: any WatchedOperation, acquireTimeout: Duration) -> UInt64 {
        let deadline = ContinuousClock.now + acquireTimeout
        let (id, startSweeping) = state.withLock { state -> (UInt64, Bool) in
            state.nextID &+= 1
            state.entries[state.nextID] = Entry(operation: operation, acquireDeadline: deadline)
            defer { state.sweeping = true }
            return (state.nextID, !state.sweeping)
        }
        if startSweeping {
            eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { task in
                if self.sweep() { task.cancel() }
            }
        }
        return id
    }

    /// The operation got `connection` and its body runs.
    func running(_ id: UInt64, on connection: PostgresConnection) {
        state.withLock { state in state.entries[id]?.connection = connection }
    }

    /// The operation is over (answered, or its body ended).
    func end(_ id: UInt64) {
        _ = state.withLock { state in state.entries.removeValue(forKey: id) }
    }

    /// Operations being watched.
    var count: Int { state.withLock { $0.entries.count } }

    /// One sweep; whether the watch is over (nothing left to watch: the next operation schedules it again).
    private func sweep() -> Bool {
        let now = ContinuousClock.now
        let (expired, lost, done) = state.withLock { state -> ([any WatchedOperation], [any WatchedOperation], Bool) in
            var expired: [any WatchedOperation] = []
            var lost: [any WatchedOperation] = []
            for (id, entry) in state.entries {
                guard let connection = entry.connection else {
                    if now >= entry.acquireDeadline {
                        expired.append(entry.operation)
                        state.entries[id] = nil
                    }
                    continue
                }
                guard connection.isClosed else { continue }
                guard let since = entry.closedSince else {
                    state.entries[id]?.closedSince = now
                    continue
                }
                if now - since >= closedConnectionGrace {
                    lost.append(entry.operation)
                    state.entries[id] = nil
                }
            }
            let done = state.entries.isEmpty
            if done { state.sweeping = false }
            return (expired, lost, done)
        }
        for operation in expired { operation.abandon() }
        if !lost.isEmpty {
            logger.warning("PostgreSQL connection closed under a running operation that did not end; answering unavailable", metadata: ["operations": "\(lost.count)"])
        }
        for operation in lost { operation.connectionLost() }
        return done
    }
}
