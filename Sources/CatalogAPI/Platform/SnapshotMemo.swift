import CatalogCore
import Dispatch
import Synchronization

/// Values computed from one catalog snapshot, remembered until a newer snapshot is asked about.
///
/// Chat traffic repeats itself — the same popular stickers resolved and sent again and again — so the gateway's
/// sticker bodies and the webhooks' verdicts on identical content are worked out once per version. Bounded: when
/// `capacity` values are held, each new one replaces the oldest. `make` runs outside the lock; two threads missing at
/// once both compute the value, which is the same.
final class SnapshotMemo<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var snapshot: CatalogSnapshot?
        var values: [Key: Value] = [:]
        /// The keys of `values` in the order they were remembered, a ring once full: `oldest` is the next to go.
        var order: [Key] = []
        var oldest = 0
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
        // One value goes for each new one once the memo is full. Starting over instead dropped thousands of answers
        // at once (a search miss fills 2,048 in well under a second), and freeing them took milliseconds of a core
        // that every event loop shares: a pause every few hundred milliseconds, at the tail of every latency.
        var evicted: Value?
        var released: [Key: Value] = [:]
        state.withLock { state in
            if state.snapshot !== snapshot {
                // An older snapshot, asked about late, does not replace a newer one's values.
                guard (state.snapshot?.version ?? .min) <= snapshot.version else { return }
                swap(&released, &state.values)
                state.order.removeAll(keepingCapacity: true)
                state.oldest = 0
                state.snapshot = snapshot
            }
            if state.values.updateValue(value, forKey: key) != nil { return }  // another thread remembered it first
            if state.order.count < capacity {
                state.order.append(key)
            } else {
                evicted = state.values.removeValue(forKey: state.order[state.oldest])
                state.order[state.oldest] = key
                state.oldest = (state.oldest + 1) % capacity
            }
        }
        // Freed here, after the lock: one value. A whole version's values (a new snapshot) go on another thread.
        withExtendedLifetime(evicted) {}
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
