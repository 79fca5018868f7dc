import CatalogTestSupport
import Synchronization
import Testing

/// The suite's guard against hangs: an operation that never answers fails its test instead of holding the run.
@Suite("withDeadline answers even when the work never does")
struct DeadlineTests {
    struct Refused: Error, Equatable {}

    /// A continuation that nobody resumes and that ignores cancellation: what held session 8's run 21.
    final class Lost: Sendable {
        let parked = Mutex<[CheckedContinuation<Int, Never>]>([])
        func wait() async -> Int { await withCheckedContinuation { continuation in parked.withLock { $0.append(continuation) } } }
        func release() { for continuation in parked.withLock({ $0 }) { continuation.resume(returning: 0) } }
    }

    @Test func aLostContinuationBecomesAnError() async throws {
        let lost = Lost()
        let error = await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(200), "waiting on nothing") { await lost.wait() }
        }
        #expect(error?.operation == "waiting on nothing")
        lost.release()
    }

    @Test func answersAndErrorsPassThrough() async throws {
        #expect(try await withDeadline(.seconds(30), "quick") { 42 } == 42)
        await #expect(throws: Refused()) {
            try await withDeadline(.seconds(30), "refusing") { () async throws -> Int in throw Refused() }
        }
    }
}
