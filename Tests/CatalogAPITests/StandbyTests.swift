import CatalogAPI
import CatalogStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PostgresNIO
import Testing

/// The primary and its streaming standby that scripts/test started for this suite (pg_basebackup, on loopback).
enum StandbyPair {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "CATALOG_TEST_STANDBY_PRIMARY_URL / CATALOG_TEST_STANDBY_URL are not set: run the tests with scripts/test" }
    }

    static func servers() throws -> (primary: DatabaseURL, standby: DatabaseURL) {
        let environment = ProcessInfo.processInfo.environment
        guard let primary = environment["CATALOG_TEST_STANDBY_PRIMARY_URL"], let standby = environment["CATALOG_TEST_STANDBY_URL"] else { throw Missing() }
        return (try DatabaseURL(primary), try DatabaseURL(standby))
    }

    /// A fresh database on the primary, returned once the standby has replayed its creation.
    static func freshDatabase() async throws -> (primary: DatabaseURL, standby: DatabaseURL) {
        let servers = try servers()
        let primary = try await TestService.freshDatabase(on: servers.primary)
        let standby = servers.standby.with(database: primary.database)
        let replayed = try await DatabaseOutageTests.eventually(within: .seconds(30)) {
            try await TestService.query(servers.standby, "SELECT count(*) FROM pg_database WHERE datname = '\(primary.database)'", as: Int64.self) == [1]
        }
        #expect(replayed, "the standby did not replay CREATE DATABASE")
        return (primary, standby)
    }

    /// Pauses the standby's WAL replay for `body` (it keeps receiving WAL; nothing new becomes visible there).
    static func withReplayPaused<Value: Sendable>(_ body: () async throws -> Value) async throws -> Value {
        let standby = try servers().standby
        try await TestService.execute(standby, "SELECT pg_wal_replay_pause()")
        do {
            let value = try await body()
            try await TestService.execute(standby, "SELECT pg_wal_replay_resume()")
            return value
        } catch {
            try? await TestService.execute(standby, "SELECT pg_wal_replay_resume()")
            throw error
        }
    }
}

@Suite("Replicas on a streaming standby: snapshot and reads from the standby, never older than their own writes", .serialized)
struct StandbyTests {
    static func title(_ response: TestResponse) throws -> String? {
        let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
        return (json?["title"] as? [String: Any])?["en"] as? String
    }

    static func retitle(_ client: any TestClientProtocol, _ id: String, _ title: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/admin/packs/\(id)", method: .patch, headers: .admin([.contentType: "application/merge-patch+json"]),
            body: ByteBuffer(string: #"{"title":{"en":"\#(title)"}}"#)
        )
    }

    @Test func snapshotAndAdminReadsAreServedByTheStandby() async throws {
        let (primary, standby) = try await StandbyPair.freshDatabase()
        try await TestService.run(database: primary, readDatabase: standby) { client, components in
            let created = try await PackUploads.create(client, id: "mirrored")
            #expect(created.status == .created)
            let version = try #require(created.catalogVersion)
            #expect(await components.snapshots.waitForVersion(version))
            #expect(try await client.execute(uri: "/v1/catalog/packs/mirrored", method: .get).status == .ok)
            let before = components.database.readsServed
            let pack = try await client.execute(uri: "/v1/admin/packs/mirrored", method: .get, headers: .admin())
            #expect(pack.status == .ok)
            let after = components.database.readsServed
            // At least this read (the snapshot service polls the standby's version every second beside it).
            #expect(after.standby > before.standby, "the admin read went to the standby")
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            let line = metrics.split(separator: "\n").first { $0.hasPrefix(#"catalog_db_reads{served_by="standby"} "#) }
            let scraped = line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) } ?? -1
            #expect(scraped >= Double(after.standby), "\(line ?? "no catalog_db_reads line")")
            // Nothing was written to the standby (it refuses writes), and the rows are there.
            let onStandby = try await TestService.query(standby, "SELECT count(*) FROM sticker_packs", as: Int64.self)
            #expect(onStandby == [1])
        }
    }

    @Test func aLaggingStandbyNeverShowsAReplicaOlderThanItsOwnWrites() async throws {
        let (primary, standby) = try await StandbyPair.freshDatabase()
        try await TestService.run(database: primary, readDatabase: standby, poll: .milliseconds(200)) { client, components in
            let created = try await PackUploads.create(client, id: "lagging")
            #expect(await components.snapshots.waitForVersion(try #require(created.catalogVersion)))
            try await StandbyPair.withReplayPaused {
                let renamed = try await Self.retitle(client, "lagging", "While the standby waits")
                #expect(renamed.status == .ok)
                let version = try #require(renamed.catalogVersion)
                let primaryReads = components.database.readsServed.primary
                // The standby has not replayed the write: the read waits for it, then asks the primary.
                let read = try await client.execute(uri: "/v1/admin/packs/lagging", method: .get, headers: .admin())
                #expect(try Self.title(read) == "While the standby waits")
                #expect(components.database.readsServed.primary > primaryReads)
                // The snapshot reaches the acknowledged version too (from the primary, the standby being stuck).
                #expect(await components.snapshots.waitForVersion(version, timeout: .seconds(20)))
                let catalog = try await client.execute(uri: "/v1/catalog/packs/lagging", method: .get)
                #expect(catalog.text.contains("While the standby waits"))
                // Still paused: the standby itself has not seen it.
                let onStandby = try await TestService.query(standby, "SELECT title->>'en' FROM sticker_packs WHERE id = 'lagging'", as: String.self)
                #expect(onStandby != ["While the standby waits"])
            }
            // Replay resumed: reads go back to the standby.
            let standbyReads = components.database.readsServed.standby
            let caughtUp = try await DatabaseOutageTests.eventually(within: .seconds(20)) {
                _ = try await client.execute(uri: "/v1/admin/packs/lagging", method: .get, headers: .admin())
                return components.database.readsServed.standby > standbyReads
            }
            #expect(caughtUp)
        }
    }

    @Test func aWriteThroughOneReplicaReachesAnotherThroughTheStandby() async throws {
        let (primary, standby) = try await StandbyPair.freshDatabase()
        try await TestService.run(database: primary, readDatabase: standby) { first, _ in
            // The second replica polls a minute apart: the notification on the primary (and the wait for the
            // standby's replay it causes) must bring the write.
            try await TestService.run(database: primary, readDatabase: standby, poll: .seconds(60)) { second, secondComponents in
                let write = try await PackUploads.create(first, id: "travels")
                let version = try #require(write.catalogVersion)
                #expect(await secondComponents.snapshots.waitForVersion(version, timeout: .seconds(20)))
                #expect(try await second.execute(uri: "/v1/catalog/packs/travels", method: .get).status == .ok)
                #expect(secondComponents.database.readsServed.standby > 0)
            }
        }
    }

    @Test func aStandbyThatIsDownIsSkipped() async throws {
        let primary = try await TestService.freshDatabase()
        var nobody = primary
        nobody.endpoint = .tcp(host: "127.0.0.1", port: try RawHTTP.unusedPort())
        try await TestService.run(database: primary, readDatabase: nobody) { client, components in
            let created = try await PackUploads.create(client, id: "alone")
            #expect(await components.snapshots.waitForVersion(try #require(created.catalogVersion)))
            #expect(try await client.execute(uri: "/v1/admin/packs/alone", method: .get, headers: .admin()).status == .ok)
            #expect(components.database.readsServed.standby == 0)
            #expect(components.database.readsServed.primary > 0)
        }
    }
}
