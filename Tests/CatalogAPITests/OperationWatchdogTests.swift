import Foundation
import Logging
import Synchronization
import Testing

@testable import CatalogStore

/// The one task that times out every pooled operation waiting for a connection (the connection-lost half runs against
/// a real PostgreSQL in `DatabaseOutageTests.anOperationOutlivingItsClosedConnectionIsAnsweredUnavailable`).
@Suite("Database operations watched from one task: acquire timeouts without a timer per operation")
struct OperationWatchdogTests {
    /// Counts what the watchdog did to it.
    final class Probe: WatchedOperation {
        let abandoned = Atomic<Int>(0)
        let lost = Atomic<Int>(0)
        func abandon() { abandoned.add(1, ordering: .relaxed) }
        func connectionLost() { lost.add(1, ordering: .relaxed) }
    }

    static func watchdog() -> OperationWatchdog {
        OperationWatchdog(interval: .milliseconds(20), closedConnectionGrace: .milliseconds(100), logger: Logger(label: "test"))
    }

    /// Polls `condition` for up to `limit`.
    static func eventually(within limit: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func anOperationWithoutAConnectionIsAbandonedOnceItsTimeoutPasses() async {
        let watchdog = Self.watchdog()
        let waiting = Probe()
        let started = ContinuousClock.now
        _ = watchdog.watch(waiting, acquireTimeout: .milliseconds(150))
        #expect(await Self.eventually { waiting.abandoned.load(ordering: .relaxed) == 1 })
        #expect(ContinuousClock.now - started >= .milliseconds(150))
        #expect(watchdog.count == 0)
        // Abandoned once, never again.
        try? await Task.sleep(for: .milliseconds(100))
        #expect(waiting.abandoned.load(ordering: .relaxed) == 1)
        #expect(waiting.lost.load(ordering: .relaxed) == 0)
    }

    @Test func anOperationThatEndedInTimeIsLeftAlone() async {
        let watchdog = Self.watchdog()
        let quick = Probe()
        let id = watchdog.watch(quick, acquireTimeout: .milliseconds(100))
        watchdog.end(id)
        try? await Task.sleep(for: .milliseconds(250))
        #expect(quick.abandoned.load(ordering: .relaxed) == 0)
        #expect(watchdog.count == 0)
    }

    @Test func theSweepStopsWhenIdleAndStartsAgainForTheNextOperation() async {
        let watchdog = Self.watchdog()
        let first = Probe()
        _ = watchdog.watch(first, acquireTimeout: .milliseconds(50))
        #expect(await Self.eventually { first.abandoned.load(ordering: .relaxed) == 1 })
        // Idle for several intervals: the sweep has ended; a later operation must still time out.
        try? await Task.sleep(for: .milliseconds(200))
        let second = Probe()
        let kept = Probe()
        _ = watchdog.watch(second, acquireTimeout: .milliseconds(50))
        let keptID = watchdog.watch(kept, acquireTimeout: .seconds(60))
        #expect(await Self.eventually { second.abandoned.load(ordering: .relaxed) == 1 })
        #expect(kept.abandoned.load(ordering: .relaxed) == 0)
        #expect(watchdog.count == 1)
        watchdog.end(keptID)
    }

    @Test func manyOperationsAtOnceEachTimeOutOnce() async {
        let watchdog = Self.watchdog()
        let probes = (0..<500).map { _ in Probe() }
        await withTaskGroup(of: Void.self) { group in
            for (index, probe) in probes.enumerated() {
                group.addTask {
                    let id = watchdog.watch(probe, acquireTimeout: .milliseconds(100))
                    // Half end in time.
                    if index.isMultiple(of: 2) { watchdog.end(id) }
                }
            }
        }
        #expect(await Self.eventually { watchdog.count == 0 })
        try? await Task.sleep(for: .milliseconds(60))
        for (index, probe) in probes.enumerated() {
            #expect(probe.abandoned.load(ordering: .relaxed) == (index.isMultiple(of: 2) ? 0 : 1))
        }
    }
}
