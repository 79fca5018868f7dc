import CatalogAPI
import CatalogCore
@testable import CatalogStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

@Suite("Media catalog: gateway registration, idempotency, soft delete, admin lists and stats")
struct MediaTests {
    static func gateway(_ extra: [HTTPField.Name: String] = [:]) -> HTTPFields {
        var fields = HTTPFields()
        fields[.authorization] = "Bearer \(TestService.gatewayToken)"
        fields[.contentType] = "application/json"
        for (name, value) in extra { fields[name] = value }
        return fields
    }

    static func sha(_ n: Int) -> String {
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: 64 - hex.count) + hex
    }

    static func image(owner: String = "u1001", n: Int = 1) -> String {
        #"{"ownerUserId":"\#(owner)","kind":"image","mime":"image/png","size":\#(1000 + n),"sha256":"\#(sha(n))","url":"https://minio.example.com/openim/\#(n).png","objectKey":"openim/\#(n).png","width":640,"height":480}"#
    }

    static func register(_ client: any TestClientProtocol, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/media", method: .post, headers: gateway(), body: ByteBuffer(string: body))
    }

    @Test func registerReadDeleteAndIdempotency() async throws {
        try await TestService.run { client, _ in
            let created = try await Self.register(client, Self.image())
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.json["id"].flatMap { if case .string(let s) = $0 { s } else { nil } })
            #expect(created.headers[.location] == "/v1/media/\(id)")
            #expect(created.json["kind"] == .string("image"))
            #expect(created.json["width"] == .integer(640))
            #expect(created.json["deletedAt"] == nil)
            #expect(created.json["createdAt"] != nil)

            // The same owner and SHA-256 again: the existing row, 200.
            let again = try await Self.register(client, Self.image())
            #expect(again.status == .ok)
            #expect(again.json["id"] == .string(id))
            // Another owner with the same file: a new row.
            let other = try await Self.register(client, Self.image(owner: "u2002"))
            #expect(other.status == .created)
            #expect(other.json["id"] != .string(id))

            let read = try await client.execute(uri: "/v1/media/\(id)", method: .get, headers: Self.gateway())
            #expect(read.status == .ok)
            #expect(read.body == created.body)

            let deleted = try await client.execute(uri: "/v1/media/\(id)", method: .delete, headers: Self.gateway())
            #expect(deleted.status == .noContent)
            let gone = try await client.execute(uri: "/v1/media/\(id)", method: .get, headers: Self.gateway())
            #expect(gone.status == .gone)
            #expect(gone.headers[.contentType] == "application/problem+json")
            #expect(try await client.execute(uri: "/v1/media/\(id)", method: .delete, headers: Self.gateway()).status == .noContent)
            // After deletion the same file registers afresh.
            let fresh = try await Self.register(client, Self.image())
            #expect(fresh.status == .created)
            #expect(fresh.json["id"] != .string(id))

            let unknown = try await client.execute(uri: "/v1/media/\(UUID().uuidString)", method: .get, headers: Self.gateway())
            #expect(unknown.status == .notFound)
            let notUUID = try await client.execute(uri: "/v1/media/not-a-uuid", method: .get, headers: Self.gateway())
            #expect(notUUID.status == .notFound)
        }
    }

    @Test func authAndValidation() async throws {
        try await TestService.run { client, components in
            let noToken = try await client.execute(uri: "/v1/media", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: Self.image()))
            #expect(noToken.status == .unauthorized)
            let adminToken = try await client.execute(uri: "/v1/media", method: .post, headers: .admin([.contentType: "application/json"]), body: ByteBuffer(string: Self.image()))
            #expect(adminToken.status == .forbidden)
            let gatewayOnAdmin = try await client.execute(uri: "/v1/admin/media", method: .get, headers: Self.gateway())
            #expect(gatewayOnAdmin.status == .forbidden)

            let bad = try await Self.register(client, Self.image().replacingOccurrences(of: #""mime":"image/png""#, with: #""mime":"video/mp4""#))
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains(#""field":"mime""#))
            let malformed = try await Self.register(client, "{")
            #expect(malformed.status == .badRequest)
            let huge = try await Self.register(client, String(repeating: " ", count: 20_000) + Self.image())
            #expect(huge.status == .contentTooLarge)
            let rows = try await TestService.query(components.configuration.databaseURL, "SELECT count(*) FROM media_files", as: Int64.self)
            #expect(rows == [0])
        }
    }

    /// Reads every page of `/v1/admin/media` with `query`, returning the ids in order.
    static func allPages(_ client: any TestClientProtocol, query: String, limit: Int) async throws -> [String] {
        var ids: [String] = []
        var cursor: String?
        repeat {
            var uri = "/v1/admin/media?limit=\(limit)\(query)"
            if let cursor { uri += "&cursor=\(cursor)" }
            let page = try await client.execute(uri: uri, method: .get, headers: .admin())
            #expect(page.status == .ok, "\(page.text)")
            guard case .array(let items)? = page.json["items"] else { break }
            for item in items { if case .string(let id)? = item["id"] { ids.append(id) } }
            if case .string(let next)? = page.json["nextCursor"] { cursor = next } else { cursor = nil }
        } while cursor != nil
        return ids
    }

    @Test func paginationHasNoGapsOrDuplicatesUnderConcurrentInserts() async throws {
        try await TestService.run { client, components in
            let database = components.configuration.databaseURL
            // 230 rows, several sharing a creation time (one statement), so the id breaks ties.
            try await TestService.execute(database, """
                INSERT INTO media_files (id, owner_user_id, kind, mime, byte_size, sha256, url, object_key, width, height, created_at)
                SELECT gen_random_uuid(), 'u' || (n % 3), 'image', 'image/png', n, lpad(to_hex(n), 64, '0'),
                       'https://minio.example.com/' || n, 'k/' || n, 10, 10, timestamptz '2026-11-20 00:00:00+00' + (n / 4) * interval '1 minute'
                FROM generate_series(1, 230) AS n
                """)
            let existing = Set(try await TestService.query(database, "SELECT id::text FROM media_files", as: String.self))
            // Insert more rows while paginating.
            async let writer: Void = {
                for n in 0..<40 {
                    _ = try await Self.register(client, Self.image(owner: "writer", n: 10_000 + n))
                }
            }()
            let seen = try await Self.allPages(client, query: "", limit: 7)
            try await writer
            #expect(Set(seen).count == seen.count, "a row was listed twice")
            #expect(existing.isSubset(of: Set(seen)), "rows that existed before the listing were skipped")

            // Filters: one owner, a kind, a time range.
            let owner = try await Self.allPages(client, query: "&ownerUserId=u1", limit: 50)
            let expectedOwner = try await TestService.query(database, "SELECT count(*) FROM media_files WHERE owner_user_id = 'u1'", as: Int64.self)
            #expect(Int64(owner.count) == expectedOwner[0])
            let ranged = try await Self.allPages(client, query: "&from=2026-11-20T00:10:00Z&to=2026-11-20T00:20:00Z", limit: 50)
            #expect(ranged.count == 40) // minutes 10…19, four rows each
            let videos = try await Self.allPages(client, query: "&kind=video", limit: 50)
            #expect(videos.isEmpty)
            let badFilter = try await client.execute(uri: "/v1/admin/media?kind=gif&from=yesterday", method: .get, headers: .admin())
            #expect(badFilter.status == .badRequest)
            #expect(badFilter.text.contains(#""field":"kind""#) && badFilter.text.contains(#""field":"from""#))
            let badCursor = try await client.execute(uri: "/v1/admin/media?cursor=bm9wZQ", method: .get, headers: .admin())
            #expect(badCursor.status == .badRequest)
        }
    }

    @Test func listQueriesUseTheirIndexes() async throws {
        try await TestService.run { _, components in
            let database = components.configuration.databaseURL
            try await TestService.execute(database, """
                INSERT INTO media_files (id, owner_user_id, kind, mime, byte_size, sha256, url, object_key, created_at)
                SELECT gen_random_uuid(), 'u' || (n % 500), (ARRAY['image','video','audio','file'])[1 + n % 4], 'application/octet-stream', n,
                       lpad(to_hex(n), 64, '0'), 'https://minio.example.com/' || n, 'k/' || n, now() - n * interval '1 second'
                FROM generate_series(1, 50000) AS n
                """)
            try await TestService.execute(database, "ANALYZE media_files")
            // A cursor halfway down the list, as on a later page.
            let middle = try await TestService.query(
                database, "SELECT (extract(epoch FROM now() - interval '25000 seconds') * 1000000)::int8", as: Int64.self
            )[0]
            let position = (micros: middle, id: UUID())
            // Never a sequential scan. Unfiltered and by kind (a quarter of the rows each here) the list walks an
            // index in order with no sort; for one owner (100 rows here) PostgreSQL may fetch that owner's rows
            // through the owner index and sort those few, which stays bounded by the owner's rows.
            let cases: [(MediaFilter, String, Bool)] = [
                (MediaFilter(), "Index Scan using media_files_created", false),
                (MediaFilter(kind: .video), "Index Scan using media_files_", false),
                (MediaFilter(ownerUserId: "u7"), "media_files_owner_created", true),
                (MediaFilter(ownerUserId: "u7", kind: .video, from: Date(timeIntervalSinceNow: -40_000)), "media_files_owner_created", true),
            ]
            let connectionURL = database
            for (filter, index, sortAllowed) in cases {
                let query = PostgresMediaRepository.listQuery(filter, after: position, limit: 50)
                let plan = try await TestService.explain(connectionURL, query)
                #expect(plan.contains(index), "\(filter): \(plan)")
                #expect(!plan.contains("Seq Scan"), "\(filter): \(plan)")
                #expect(sortAllowed || !plan.contains("Sort"), "\(filter): \(plan)")
            }
        }
    }

    @Test func statsCountAndSumPerKindPerDay() async throws {
        try await TestService.run { client, components in
            try await TestService.execute(components.configuration.databaseURL, """
                INSERT INTO media_files (id, owner_user_id, kind, mime, byte_size, sha256, url, object_key, created_at) VALUES
                (gen_random_uuid(), 'a', 'image', 'image/png', 100, lpad('1', 64, '0'), 'https://m.example/1', 'k1', '2026-11-01 10:00+00'),
                (gen_random_uuid(), 'a', 'image', 'image/png', 250, lpad('2', 64, '0'), 'https://m.example/2', 'k2', '2026-11-01 23:59+00'),
                (gen_random_uuid(), 'a', 'video', 'video/mp4', 5000, lpad('3', 64, '0'), 'https://m.example/3', 'k3', '2026-11-02 00:00+00'),
                (gen_random_uuid(), 'a', 'file', 'application/pdf', 7, lpad('4', 64, '0'), 'https://m.example/4', 'k4', '2026-11-04 12:00+00'),
                (gen_random_uuid(), 'a', 'file', 'application/pdf', 9, lpad('5', 64, '0'), 'https://m.example/5', 'k5', '2026-10-31 23:59+00')
                """)
            let stats = try await client.execute(uri: "/v1/admin/media/stats?from=2026-11-01&to=2026-11-04", method: .get, headers: .admin())
            #expect(stats.status == .ok, "\(stats.text)")
            #expect(stats.json == (try JSONParser.parse(#"""
            {"days":[{"bytes":350,"count":2,"day":"2026-11-01","kind":"image"},{"bytes":5000,"count":1,"day":"2026-11-02","kind":"video"},{"bytes":7,"count":1,"day":"2026-11-04","kind":"file"}],
             "from":"2026-11-01","to":"2026-11-04",
             "totals":{"audio":{"bytes":0,"count":0},"file":{"bytes":7,"count":1},"image":{"bytes":350,"count":2},"video":{"bytes":5000,"count":1}}}
            """#)))
            for query in ["from=2026-11-01", "from=2026-11-05&to=2026-11-01", "from=2026-02-30&to=2026-03-01", "from=2024-01-01&to=2026-01-01"] {
                let bad = try await client.execute(uri: "/v1/admin/media/stats?\(query)", method: .get, headers: .admin())
                #expect(bad.status == .badRequest, "\(query)")
            }
        }
    }
}
