import CatalogCore
import Dispatch
import Synchronization

/// Values computed from one catalog snapshot, remembered until a newer snapshot is asked about.
///
/// Chat traffic repeats itself — the same popular stickers resolved and sent again and again — so the gateway's
/// sticker bodies and the webhooks' verdicts on identical content are worked out once per version. Bounded: when
/// `capacity` values are held, the memo starts over. `make` runs outside the lock; two threads missing at once both
/// compute the value, which is the same.
final class SnapshotMemo<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var snapshot: CatalogSnapshot?
        var values: [Key: Value] = [:]
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The value for `key` at `snapshot`; `make` gives nil for a value not to be remembered (it is computed again).
    func value(for key: Key, in snapshot: CatalogSnapshot, make: () -> (Value, remember: Bool)) -> Value {
        if let hit = state.withLock({ $0.snapshot === snapshot ? $0.values[key] : nil }) { return hit }
        let (value, remember) = make()
        guard remember else { return value }
        // Values let go of are freed on another thread: a full memo is thousands of answers, and freeing them
        // took milliseconds from the request that happened to fill it (and every request waiting on its event loop).
        var released: [Key: Value] = [:]
        state.withLock { state in
            if state.snapshot !== snapshot {
                // An older snapshot, asked about late, does not replace a newer one's values.
                guard (state.snapshot?.version ?? .min) <= snapshot.version else { return }
                swap(&released, &state.values)
                state.snapshot = snapshot
            }
            if state.values.count >= capacity {
                swap(&released, &state.values)
                state.values.reserveCapacity(capacity)  // one allocation, not a rehash per doubling under the lock
            }
            state.values[key] = value
        }
        if !released.isEmpty {
            let dropped = released
            released = [:]
            DispatchQueue.global(qos: .utility).async { withExtendedLifetime(dropped) {} }
        }
        return value
    }

    /// How many values are held (tests).
    var count: Int { state.withLock { $0.values.count } }
}
