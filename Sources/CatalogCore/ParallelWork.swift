import Foundation
import Synchronization

/// Threads of our own for CPU-heavy synchronous work: neither Swift's cooperative pool nor Dispatch's global queues.
///
/// The cooperative pool has one thread per core (two here) and runs every request handler and the PostgreSQL
/// client's connection management: seconds of decoding there stall them all. Dispatch's global queues are no better
/// a place on Linux: their worker threads are capped near the core count too, so work that waits on other Dispatch
/// work (the snapshot build waiting on its search index) can wait behind uploads' decoding for as long as that takes
/// — a fuzz run saw `/healthz` unanswered for 10 s that way. A thread per piece of work costs tens of microseconds,
/// nothing beside the milliseconds to seconds the work itself takes, and can never queue behind anything.
enum DedicatedThread {
    /// Large enough for the C decoders' stacks; Foundation's default for secondary threads is smaller.
    static let stackSize = 8 << 20

    static func start(_ work: @escaping @Sendable () -> Void) {
        let thread = Thread(block: work)
        thread.stackSize = stackSize
        thread.start()
    }
}

/// Work started on a thread of its own at once, whose result the starter collects when it needs it: the snapshot
/// build's way of using a second core for an independent part (the search index beside the catalog's compression).
/// `result()` blocks only for as long as the work has left, and the work never waits for a thread.
final class ParallelWork<Value: Sendable>: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let value = Mutex<(value: Value, took: Duration)?>(nil)
    private let work: @Sendable () -> Value

    init(_ work: @escaping @Sendable () -> Value) {
        self.work = work
        DedicatedThread.start { [self] in
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

/// Runs CPU-heavy synchronous work (decoding images, making thumbnails, building a catalog snapshot) on a thread of
/// its own (`DedicatedThread`) and resumes the caller when it is done: the caller's task waits without holding a
/// thread of Swift's cooperative pool, whose threads also run every request handler.
public enum OffThePool {
    public static func run<Value: Sendable, Failure: Error>(_ work: @escaping @Sendable () throws(Failure) -> Value) async throws(Failure) -> Value {
        let result: Result<Value, Failure> = await withCheckedContinuation { continuation in
            DedicatedThread.start {
                continuation.resume(returning: Result { () throws(Failure) -> Value in try work() })
            }
        }
        return try result.get()
    }
}
