import CatalogAPI
import CatalogStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

/// Stops and starts the fault-test cluster scripts/test set aside for this suite.
enum FaultCluster {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "the fault-test PostgreSQL is not configured: run the tests with scripts/test" }
    }

    static func url() throws -> DatabaseURL {
        guard let text = ProcessInfo.processInfo.environment["CATALOG_TEST_FAULT_DATABASE_URL"] else { throw Missing() }
        return try DatabaseURL(text)
    }

    static func run(_ variable: String) throws {
        guard let command = ProcessInfo.processInfo.environment[variable] else { throw Missing() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
    }

    static func stop() throws { try run("CATALOG_TEST_FAULT_PG_STOP") }
    static func start() throws { try run("CATALOG_TEST_FAULT_PG_START") }
}

@Suite(
    "When PostgreSQL goes away the catalog is still served", .serialized,
    .disabled("Unfinished: after a restart the pool stays in its reconnect backoff longer than 10 s and the test's teardown hangs; see the issue note")
)
struct DatabaseOutageTests {
    @Test func catalogServedFromMemoryWhileTheDatabaseIsDown() async throws {
        let database = try await TestService.freshDatabase(on: FaultCluster.url())
        try await TestService.run(database: database, poll: .milliseconds(200)) { client, components in
            let created = try await PackUploads.create(client, id: "durable")
            let version = try #require(created.catalogVersion)
            #expect(await components.snapshots.waitForVersion(version))
            let before = try await client.execute(uri: "/v1/catalog", method: .get)

            try FaultCluster.stop()
            do {
                for _ in 0..<20 {
                    let during = try await client.execute(uri: "/v1/catalog", method: .get)
                    #expect(during.status == .ok)
                    #expect(during.body == before.body)
                }
                #expect(try await client.execute(uri: "/v1/catalog/packs/durable", method: .get).status == .ok)
                let ready = try await client.execute(uri: "/readyz", method: .get)
                #expect(ready.status == .serviceUnavailable)
                #expect(ready.json["status"] == .string("degraded"))
                let write = try await PackUploads.create(client, id: "during-outage", offset: 40)
                #expect(write.status == .serviceUnavailable)
                #expect(write.headers[.retryAfter] != nil)
            } catch {
                try FaultCluster.start()
                throw error
            }
            try FaultCluster.start()

            // The service recovers without a restart: readiness and writes come back.
            let deadline = ContinuousClock.now + .seconds(10)
            var recovered = false
            while ContinuousClock.now < deadline {
                if try await client.execute(uri: "/readyz", method: .get).status == .ok { recovered = true; break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(recovered)
            let after = try await PackUploads.create(client, id: "after-outage", offset: 50)
            #expect(after.status == .created, "\(after.text)")
            #expect(await components.snapshots.waitForVersion(try #require(after.catalogVersion)))
        }
    }
}
