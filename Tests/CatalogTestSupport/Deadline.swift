import Synchronization

/// An awaited operation of a test gave no answer in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let operation: String
    public let limit: Duration
    public var description: String { "\(operation): no answer within \(limit) (left running, cancelled)" }
}

/// Runs `body` in a task of its own and answers with its result, or throws `DeadlineExceeded` once `limit` has
/// passed — without waiting for a body that ignores cancellation.
///
/// A task group cannot do this: it waits for every child, so a child awaiting a promise or continuation that is
/// never completed (HummingbirdTesting's own read timeout is such a group) holds the test, and with it the whole
/// `swift test` run, forever. Here the caller is answered and the stuck body is left behind, cancelled, so a hang
/// becomes a failing test with a name.
public func withDeadline<Value: Sendable>(
    _ limit: Duration, _ operation: String, _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    let race = DeadlineRace<Value>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            let work = Task { race.finish(await Result { try await body() }) }
            let timer = Task {
                guard (try? await Task.sleep(for: limit)) != nil else { return }
                race.finish(.failure(DeadlineExceeded(operation: operation, limit: limit)))
            }
            race.start(continuation, work: work, timer: timer)
        }
    } onCancel: {
        race.cancelWork()
    }
}

/// The first of the work and its timer to finish answers the caller; the other is ignored.
final class DeadlineRace<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var early: Result<Value, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
        var cancelled = false
        var answered = false
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<Value, any Error>, work: Task<Void, Never>, timer: Task<Void, Never>) {
        let (early, cancel) = state.withLock { state -> (Result<Value, any Error>?, Bool) in
            state.work = work
            state.timer = timer
            guard let early = state.early else {
                state.continuation = continuation
                return (nil, state.cancelled)
            }
            state.early = nil
            return (early, false)
        }
        if cancel { work.cancel() }
        if let early {
            timer.cancel()
            if case .failure(let error) = early, error is DeadlineExceeded { work.cancel() }
            continuation.resume(with: early)
        }
    }

    func finish(_ result: Result<Value, any Error>) {
        let (continuation, work, timer) = state.withLock { state -> (CheckedContinuation<Value, any Error>?, Task<Void, Never>?, Task<Void, Never>?) in
            guard !state.answered else { return (nil, nil, nil) }
            state.answered = true
            guard let continuation = state.continuation else {
                state.early = result
                return (nil, nil, nil)
            }
            state.continuation = nil
            return (continuation, state.work, state.timer)
        }
        guard let continuation else { return }
        timer?.cancel()
        if case .failure(let error) = result, error is DeadlineExceeded { work?.cancel() }
        continuation.resume(with: result)
    }

    func cancelWork() {
        let work = state.withLock { state -> Task<Void, Never>? in
            state.cancelled = true
            return state.work
        }
        work?.cancel()
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
