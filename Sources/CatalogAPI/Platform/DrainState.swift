import ServiceLifecycle
import Synchronization

/// Whether this replica is draining after SIGTERM: readiness answers 503 then, so load balancers stop sending it new
/// work while the requests it already has complete.
public final class DrainState: Sendable {
    private let draining = Atomic<Bool>(false)

    public init() {}

    public var isDraining: Bool { draining.load(ordering: .relaxed) }

    public func beginDraining() { draining.store(true, ordering: .relaxed) }
}

/// Marks the replica as draining the moment graceful shutdown begins. Run it after the application in one
/// ServiceGroup: graceful shutdown goes through services in reverse order, so this one hears of it first, before the
/// server stops accepting and closes idle connections.
public struct DrainSignal: Service {
    let state: DrainState

    public init(state: DrainState) { self.state = state }

    public func run() async throws {
        try? await gracefulShutdown()
        state.beginDraining()
    }
}
