import CatalogAPI
import CatalogStore
import CatalogTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import PostgresNIO
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

    struct CommandFailed: Error, CustomStringConvertible {
        let command: String
        let status: Int32
        var description: String { "\(command) exited with \(status)" }
    }

    /// Runs the command in the variable and waits for it (`spawn`).
    static func run(_ variable: String) async throws {
        guard let command = ProcessInfo.processInfo.environment[variable] else { throw Missing() }
        try await spawn(command)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift's Glibc module does not
    /// import: every descriptor from the given one up is closed in the child.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Runs `command` with bash and waits for it without blocking a thread: Foundation's `Process` left `pg_ctl`
    /// unreaped now and then (a zombie, and `waitUntilExit` never returned), so this spawns and polls `waitpid`
    /// itself.
    ///
    /// The child gets standard input, output and error and no other descriptor of this process. NIO accepts
    /// connections without `SOCK_CLOEXEC`, so a child would inherit every connection open in the suite at that
    /// moment — and `pg_ctl start` leaves a postmaster running that holds them for the rest of the run. A connection
    /// the service then closed stayed open at the kernel (a second reference to its socket), no FIN went out, and
    /// the test reading it waited out its client's 120 s: the "connection stuck open" of docs/RELIABILITY.md,
    /// session 12, seen only in full parallel runs, because only they restart this cluster while other tests talk.
    static func spawn(_ command: String) async throws {
        var pid: pid_t = 0
        let arguments = ["/bin/bash", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var actions = posix_spawn_file_actions_t()
        guard posix_spawn_file_actions_init(&actions) == 0 else { throw CommandFailed(command: command, status: -1) }
        defer { posix_spawn_file_actions_destroy(&actions) }
        guard let closeFrom = closeFrom, closeFrom(&actions, 3) == 0 else { throw CommandFailed(command: command, status: -1) }
        let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, &argv, environ)
        guard spawned == 0 else { throw CommandFailed(command: command, status: spawned) }
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped == -1 { throw CommandFailed(command: command, status: -1) }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Exited normally with status 0: (status & 0x7f) == 0 and (status >> 8) & 0xff == 0.
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else { throw CommandFailed(command: command, status: status) }
    }

    static func stop() async throws { try await run("CATALOG_TEST_FAULT_PG_STOP") }
    static func start() async throws { try await run("CATALOG_TEST_FAULT_PG_START") }
}

@Suite("PostgreSQL stopped, killed and restarted: reads keep working, writes fail cleanly, nothing acknowledged is lost", .serialized)
struct DatabaseOutageTests {
    /// Waits until `condition` holds, up to `timeout`; whether it did.
    static func eventually(within timeout: Duration, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }

    @Test func catalogAndResolutionServedWhileTheDatabaseIsDown() async throws {
        let database = try await TestService.freshDatabase(on: FaultCluster.url())
        try await TestService.run(database: database, poll: .milliseconds(200)) { client, components in
            let created = try await PackUploads.create(client, id: "durable")
            let version = try #require(created.catalogVersion)
            #expect(await components.snapshots.waitForVersion(version))
            let before = try await client.execute(uri: "/v1/catalog", method: .get)
            let resolveBody = #"{"items":[{"kind":"sticker","id":"durable-s0"}]}"#

            try await FaultCluster.stop()
            do {
                var failedReads = 0
                for _ in 0..<20 {
                    let during = try await client.execute(uri: "/v1/catalog", method: .get)
                    if during.status != .ok || during.body != before.body { failedReads += 1 }
                    let pack = try await client.execute(uri: "/v1/catalog/packs/durable", method: .get)
                    if pack.status != .ok { failedReads += 1 }
                    let resolved = try await ResolveTests.post(client, "/v1/resolve", resolveBody)
                    if resolved.status != .ok || resolved.text.contains("\"error\"") { failedReads += 1 }
                }
                #expect(failedReads == 0)
                // Still in rotation: every replica keeps serving what it has in memory. (The query names the moment
                // in a failure's message: a run of session 11 lost one /readyz answer in this test, not knowing which.)
                let ready = try await client.execute(uri: "/readyz?moment=outage", method: .get)
                #expect(ready.status == .ok)
                #expect(ready.json["status"] == .string("degraded"))
                #expect(ready.json["database"] == .string("unreachable"))
                #expect(ready.json["catalogVersion"] == .integer(version))
                let write = try await PackUploads.create(client, id: "during-outage", offset: 40)
                #expect(write.status == .serviceUnavailable)
                #expect(write.headers[.retryAfter] != nil)
                #expect(write.headers[.contentType] == "application/problem+json")
            } catch {
                try await FaultCluster.start()
                throw error
            }
            try await FaultCluster.start()

            // The service recovers without a restart, within 5 s: readiness, then writes (a write that still meets
            // the old pool answers 503 with Retry-After, as during the outage, and the client retries).
            let recovered = try await Self.eventually(within: .seconds(5)) {
                try await client.execute(uri: "/readyz?moment=recovery", method: .get).json["status"] == .string("ready")
            }
            #expect(recovered)
            var written: TestResponse?
            let writable = try await Self.eventually(within: .seconds(5)) {
                let attempt = try await PackUploads.create(client, id: "after-outage", offset: 50)
                #expect(attempt.status == .created || attempt.status == .serviceUnavailable, "\(attempt.text)")
                if attempt.status == .created { written = attempt }
                return written != nil
            }
            #expect(writable)
            #expect(await components.snapshots.waitForVersion(try #require(written?.catalogVersion)))
        }
    }

    @Test func anUploadCutOffByAKillStoresNothingAndSucceedsWhenRetried() async throws {
        let database = try await TestService.freshDatabase(on: FaultCluster.url())
        try await TestService.run(database: database, poll: .milliseconds(200)) { client, components in
            _ = try await PackUploads.create(client, id: "existing")
            let before = try await TestService.counts(database)
            // Hold the catalog_state row so the upload stops inside its transaction, after inserting its rows.
            let holder = try await withDeadline(TestService.databaseLimit, "PostgreSQL: the row holder") {
                let holder = try await PostgresConnection.connect(configuration: database.connectionConfiguration(), id: 9, logger: TestService.logger)
                try await holder.query("BEGIN", logger: TestService.logger)
                try await holder.query("SELECT version FROM catalog_state FOR UPDATE", logger: TestService.logger)
                return holder
            }
            let upload = Task { try await PackUploads.create(client, id: "big", count: 30, offset: 100) }
            let blocked = try await Self.eventually(within: .seconds(10)) {
                let waiting = try await TestService.query(
                    database, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()", as: Int64.self
                )
                return waiting == [1]
            }
            #expect(blocked, "the upload never reached the catalog version update")
            try await FaultCluster.stop()
            let failed = try await upload.value
            try await FaultCluster.start()
            #expect(failed.status == .serviceUnavailable || failed.status == .internalServerError, "\(failed.status): \(failed.text)")
            #expect(failed.status != .created)
            #expect(failed.headers[.contentType] == "application/problem+json")
            _ = try? await withDeadline(TestService.databaseLimit, "PostgreSQL: closing the row holder") { try await holder.close() }
            // Nothing of it was stored; the same upload succeeds once PostgreSQL is back.
            #expect(try await TestService.counts(database) == before)
            let recovered = try await Self.eventually(within: .seconds(5)) {
                try await client.execute(uri: "/readyz", method: .get).json["status"] == .string("ready")
            }
            #expect(recovered)
            let retried = try await PackUploads.create(client, id: "big", count: 30, offset: 100)
            #expect(retried.status == .created, "\(retried.text)")
            #expect(await components.snapshots.waitForVersion(try #require(retried.catalogVersion)))
        }
    }

    /// The safety net behind `CatalogDatabase.transaction`: an operation whose connection closes under it and
    /// that does not end (here a body that sleeps on, standing for a query postgres-nio never completes) is answered
    /// "unavailable" instead of being waited for. Without the net this call would return normally after 60 s.
    @Test func anOperationOutlivingItsClosedConnectionIsAnsweredUnavailable() async throws {
        try await TestService.run { _, components in
            await #expect(throws: StoreError.unavailable) {
                try await components.database.connection { connection in
                    try await connection.close()
                    try await Task.sleep(for: .seconds(60))
                }
            }
        }
    }

    @Test func everyAcknowledgedWriteSurvivesACrash() async throws {
        let database = try await TestService.freshDatabase(on: FaultCluster.url())
        let acknowledged: [(id: String, revision: Int64)] = try await TestService.run(database: database) { client, _ in
            var acknowledged: [(id: String, revision: Int64)] = []
            for index in 0..<8 {
                let created = try await PackUploads.create(client, id: "kept-\(index)", offset: index * 3)
                #expect(created.status == .created)
                let patched = try await client.execute(
                    uri: "/v1/admin/packs/kept-\(index)", method: .patch, headers: .admin([.contentType: "application/json"]),
                    body: ByteBuffer(string: #"{"publisher":"after \#(index)"}"#)
                )
                if patched.status == .ok, case .integer(let revision)? = patched.json["revision"] { acknowledged.append(("kept-\(index)", revision)) }
            }
            // Killed, not stopped: no checkpoint, only what fsync put on disk survives.
            try await FaultCluster.stop()
            try await FaultCluster.start()
            return acknowledged
        }
        #expect(acknowledged.count == 8)
        for (id, revision) in acknowledged {
            let rows = try await TestService.query(database, "SELECT revision::int8 FROM sticker_packs WHERE id = '\(id)'", as: Int64.self)
            #expect(rows == [revision], "\(id)")
        }
    }
}
