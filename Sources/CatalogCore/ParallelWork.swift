import Dispatch
import Synchronization

/// Work started on a thread of its own at once, whose result the starter collects when it needs it: the snapshot
/// build's way of using a second core for an independent part (the search index beside the catalog's compression).
///
/// A Dispatch thread, not a task: the snapshot is built synchronously, and `result()` blocks only for as long as
/// the work has left, on a queue that is not Swift's cooperative pool (so it cannot wait on itself).
final class ParallelWork<Value: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let value = Mutex<(value: Value, took: Duration)?>(nil)
    private let work: @Sendable () -> Value

    init(_ work: @escaping @Sendable () -> Value) {
        self.work = work
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let start = ContinuousClock.now
            let result = work()
            let took = ContinuousClock.now - start
            value.withLock { $0 = (result, took) }
            done.signal()
        }
    }

    /// Waits for the work and returns what it made, how long it took, and how long this call waited for it (what
    /// the work added to the starter's own).
    func result() -> (value: Value, took: Duration, waited: Duration) {
        let start = ContinuousClock.now
        done.wait()
        let waited = ContinuousClock.now - start
        done.signal()  // a later call finds it done too
        // Always set once `done` is signalled; the work again rather than a trap if that ever broke.
        guard let (result, took) = value.withLock({ $0 }) else { return (work(), waited, waited) }
        return (result, took, waited)
    }
}

/// Runs CPU-heavy synchronous work (decoding images, making thumbnails) on a Dispatch thread instead of Swift's
/// cooperative pool, whose threads — as many as there are cores, two here — also run every request handler and the
/// PostgreSQL client's connection management: an upload's images must not stall them for the length of the upload.
public enum OffThePool {
    public static func run<Value: Sendable, Failure: Error>(_ work: @escaping @Sendable () throws(Failure) -> Value) async throws(Failure) -> Value {
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: Result { () throws(Failure) -> Value in try work() })
            }
        }
        return try result.get()
    }
}
