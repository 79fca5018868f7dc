import HTTPTypes
import Metrics
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Requests the byte lane answered since start (tests check that the lane, not the router, answered).
///
/// Striped: each thread adds to one of eight slots, each on a cache line of its own, so the event loops' threads
/// do not pass one line back and forth on every request (a shared counter cost a few percent of a 304).
public final class AnswerCounter: Sendable {
    private final class Stripe: Sendable {
        let count = Atomic<Int>(0)
        /// Keeps the next stripe's count off this one's cache line.
        private let padding: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    private let stripes: [Stripe] = (0..<8).map { _ in Stripe() }

    public init() {}

    public var value: Int { stripes.reduce(0) { $0 + $1.count.load(ordering: .relaxed) } }

    func increment() {
        // Thread descriptors sit megabytes apart: hash the address's page number down to three bits.
        let thread = UInt64(pthread_self()) >> 12
        stripes[Int(truncatingIfNeeded: (thread &* 0x9E37_79B9_7F4A_7C15) >> 61)].count.add(1, ordering: .relaxed)
    }
}
