import CatalogCore
import Foundation
import Synchronization

/// Holds the current catalog snapshot. Requests read it without touching PostgreSQL; the snapshot service swaps
/// in a new one atomically (a mutex guards one reference: readers copy it and let go at once).
public final class CatalogSnapshotStore: Sendable {
    private let snapshot = Mutex<CatalogSnapshot?>(nil)
    private let loadedAt = Mutex<ContinuousClock.Instant?>(nil)
    private let database = Mutex<(reachable: Bool, changedAt: ContinuousClock.Instant)>((false, .now))

    public init() {}

    /// The snapshot being served, nil before the first load.
    public var current: CatalogSnapshot? { snapshot.withLock { $0 } }

    /// Swaps in `new` unless a newer version is already being served.
    public func replace(with new: CatalogSnapshot) {
        snapshot.withLock { current in
            if let existing = current, existing.version > new.version { return }
            current = new
            loadedAt.withLock { $0 = .now }
        }
    }

    /// When the served snapshot was swapped in (nil before the first).
    public var currentLoadedAt: ContinuousClock.Instant? { loadedAt.withLock { $0 } }

    /// Whether the last contact with PostgreSQL succeeded (readiness reports "degraded" otherwise).
    public var isDatabaseReachable: Bool {
        get { database.withLock { $0.reachable } }
        set {
            database.withLock { state in
                if state.reachable != newValue { state = (newValue, .now) }
            }
        }
    }

    /// Since when PostgreSQL has been reachable or unreachable, as `isDatabaseReachable` says.
    public var databaseStateSince: ContinuousClock.Instant { database.withLock { $0.changedAt } }

    /// Waits until the served snapshot reaches `version` (tests and read-your-writes callers), up to `timeout`.
    /// The default is a liveness bound, not a speed check: it returns as soon as the version is there, and a full
    /// parallel test run on a busy two-core machine has taken over 10 s to load its first snapshots.
    public func waitForVersion(_ version: Int64, timeout: Duration = .seconds(60)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let current, current.version >= version { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return (current?.version ?? -1) >= version
    }
}
