import Synchronization

/// One pooled operation racing its acquire timeout: the body runs only if the connection came first. The
/// `OperationWatchdog` calls `abandon` when the timeout passes and `connectionLost` when the connection closed under
/// a body that did not end.
final class Lease<Value: Sendable>: WatchedOperation {
    enum Phase { case waiting, running, done }
    private let state = Mutex<(phase: Phase, continuation: CheckedContinuation<Value, any Error>?)>((.waiting, nil))

    func set(_ continuation: CheckedContinuation<Value, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// The connection arrived: may the body run? False once the caller was answered.
    func start() -> Bool {
        state.withLock { current in
            guard current.phase == .waiting else { return false }
            current.phase = .running
            return true
        }
    }

    /// The operation ended (or failed before it began): answer the caller unless it was answered already.
    func finish(_ result: Result<Value, any Error>) {
        let continuation = state.withLock { current -> CheckedContinuation<Value, any Error>? in
            // A failure after the timeout answered is dropped; a body that ran always reports.
            guard current.phase != .done else { return nil }
            current.phase = .done
            defer { current.continuation = nil }
            return current.continuation
        }
        continuation?.resume(with: result)
    }

    func abandon() {
        let continuation = state.withLock { current -> CheckedContinuation<Value, any Error>? in
            guard current.phase == .waiting else { return nil }
            current.phase = .done
            defer { current.continuation = nil }
            return current.continuation
        }
        continuation?.resume(throwing: CatalogDatabase.AcquireTimedOut())
    }

    func connectionLost() {
        finish(.failure(StoreError.unavailable))
    }
}
