import CatalogAPI
import CatalogStore
import Foundation
import ServiceLifecycle
import Synchronization
import Testing

/// The listeners share their port through SO_REUSEPORT, which any process of the same user may join: a second
/// instance must refuse to start rather than silently take a share of the first one's connections.
@Suite("One service per port")
struct PortTests {
    final class Flag: Sendable {
        private let value = Atomic(false)
        func set() { value.store(true, ordering: .relaxed) }
        var isSet: Bool { value.load(ordering: .relaxed) }
    }

    /// Runs a service on `port` as `serve` does until it listens (then stops it) or fails; gives the error it ended with.
    static func start(on port: Int, database: DatabaseURL) async -> (listened: Bool, error: (any Error)?) {
        var configuration = TestService.configuration(database: database)
        configuration.host = "127.0.0.1"
        configuration.port = port
        let listened = Flag()
        do {
            let (app, _) = try await buildApplication(configuration: configuration, logger: TestService.logger) { _ in listened.set() }
            let group = ServiceGroup(configuration: .init(services: [app], logger: TestService.logger))
            // Either it listens (then it is told to stop) or it ends first, with its error.
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                tasks.addTask {
                    for _ in 0..<600 where !listened.isSet { try await Task.sleep(for: .milliseconds(50)) }
                }
                try await tasks.next()
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            return (listened.isSet, nil)
        } catch {
            return (listened.isSet, error)
        }
    }

    @Test func aSecondInstanceOnABusyPortRefusesToStartAndTheFirstKeepsServing() async throws {
        let database = try await TestService.freshDatabase()
        let port = try await TestService.runLive(database: database) { port, client, _ in
            let second = await Self.start(on: port, database: database)
            #expect(!second.listened, "a second service listened beside the first")
            let message = second.error.map { String(describing: $0) } ?? ""
            #expect(message.contains("127.0.0.1:\(port) is already in use"), "the refusal names the address: \(message)")
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            return port
        }
        // A restart on the same port once the first has ended starts, with its connections still in TIME_WAIT.
        let restarted = await Self.start(on: port, database: database)
        #expect(restarted.listened, "the port's last owner ended, yet a new service did not listen: \(String(describing: restarted.error))")
        #expect(restarted.error == nil)
    }
}
