import CatalogAPI
import CatalogCore
import CatalogStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

@Suite("The public catalog: exact HTTP caching, served from memory")
struct CatalogTests {
    /// Creates a published pack and waits for the snapshot to include it.
    static func publish(_ client: any TestClientProtocol, _ components: CatalogServiceComponents, id: String, status: String = "published", offset: Int = 0) async throws -> Int64 {
        let response = try await PackUploads.create(client, id: id, status: status, offset: offset)
        #expect(response.status == .created, "\(response.text)")
        let version = try #require(response.catalogVersion)
        #expect(await components.snapshots.waitForVersion(version))
        return version
    }

    @Test func conditionalRequestMatrix() async throws {
        try await TestService.run { client, components in
            _ = try await Self.publish(client, components, id: "matrix")
            let full = try await client.execute(uri: "/v1/catalog", method: .get)
            #expect(full.status == .ok)
            let eTag = try #require(full.headers[.eTag])
            let lastModified = try #require(full.headers[.lastModified])
            #expect(full.headers[.vary] == "Accept-Encoding")
            #expect(full.headers[.cacheControl] == ServiceConfiguration.defaultCacheControl)
            #expect(full.headers[.contentType] == "application/json")
            #expect(full.headers[.accessControlAllowOriginName] == "*")

            let gzip = try await client.execute(uri: "/v1/catalog", method: .get, headers: [.acceptEncoding: "gzip, deflate, br"])
            let gzipTag = try #require(gzip.headers[.eTag])
            #expect(gzip.headers[.contentEncoding] == "gzip")
            #expect(gzipTag != eTag)
            var compressed = gzip.body
            #expect(try compressed.decompress(with: .gzip()) == full.body)

            func status(_ headers: HTTPFields, method: HTTPRequest.Method = .get) async throws -> (HTTPResponse.Status, TestResponse) {
                let response = try await client.execute(uri: "/v1/catalog", method: method, headers: headers)
                return (response.status, response)
            }
            // Exact tag, list, weak form, star, stale tag.
            #expect(try await status([.ifNoneMatch: eTag]).0 == .notModified)
            #expect(try await status([.ifNoneMatch: "\"stale\", \(eTag)"]).0 == .notModified)
            #expect(try await status([.ifNoneMatch: "W/\(eTag)"]).0 == .notModified)
            #expect(try await status([.ifNoneMatch: "*"]).0 == .notModified)
            #expect(try await status([.ifNoneMatch: "\"stale\""]).0 == .ok)
            // Two header lines form one list.
            var twoLines = HTTPFields()
            twoLines.append(HTTPField(name: .ifNoneMatch, value: "\"other\""))
            twoLines.append(HTTPField(name: .ifNoneMatch, value: eTag))
            #expect(try await status(twoLines).0 == .notModified)
            // The identity tag does not validate the gzip representation, and the reverse.
            #expect(try await status([.ifNoneMatch: eTag, .acceptEncoding: "gzip"]).0 == .ok)
            #expect(try await status([.ifNoneMatch: gzipTag, .acceptEncoding: "gzip"]).0 == .notModified)
            #expect(try await status([.ifNoneMatch: gzipTag]).0 == .ok)
            // q-values: refused gzip, preferred identity.
            #expect(try await status([.acceptEncoding: "gzip;q=0"]).1.headers[.contentEncoding] == nil)
            #expect(try await status([.acceptEncoding: "gzip;q=0.5, identity"]).1.headers[.contentEncoding] == nil)
            #expect(try await status([.acceptEncoding: "*"]).1.headers[.contentEncoding] == "gzip")
            #expect(try await status([.acceptEncoding: "*;q=0"]).1.headers[.contentEncoding] == nil)

            // A 304 carries ETag, Cache-Control and Vary and no body.
            let notModified = try await status([.ifNoneMatch: eTag]).1
            #expect(notModified.headers[.eTag] == eTag)
            #expect(notModified.headers[.cacheControl] != nil)
            #expect(notModified.headers[.vary] == "Accept-Encoding")
            #expect(notModified.body.readableBytes == 0)

            // If-Modified-Since, and If-None-Match taking precedence over it.
            #expect(try await status([.ifModifiedSince: lastModified]).0 == .notModified)
            #expect(try await status([.ifModifiedSince: "Thu, 01 Jan 2015 00:00:00 GMT"]).0 == .ok)
            #expect(try await status([.ifModifiedSince: lastModified, .ifNoneMatch: "\"stale\""]).0 == .ok)
            #expect(try await status([.ifModifiedSince: "not a date"]).0 == .ok)

            // HEAD has the GET's headers and no body.
            let head = try await status([:], method: .head).1
            #expect(head.status == .ok)
            #expect(head.headers[.eTag] == eTag)
            #expect(head.headers[.contentLength] == String(full.body.readableBytes))
            #expect(head.body.readableBytes == 0)
            #expect(try await status([.ifNoneMatch: eTag], method: .head).0 == .notModified)

            // Per-pack documents have their own tags.
            let pack = try await client.execute(uri: "/v1/catalog/packs/matrix", method: .get)
            #expect(pack.status == .ok)
            let packTag = try #require(pack.headers[.eTag])
            #expect(try await client.execute(uri: "/v1/catalog/packs/matrix", method: .get, headers: [.ifNoneMatch: packTag]).status == .notModified)
            #expect(try await client.execute(uri: "/v1/catalog/packs/nope", method: .get).status == .notFound)

            let preflight = try await client.execute(uri: "/v1/catalog", method: .options, headers: [.origin: "https://app.example.com"])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOriginName] == "*")
        }
    }

    @Test func draftsAndArchivedPacksNeverAppear() async throws {
        try await TestService.run { client, components in
            _ = try await Self.publish(client, components, id: "shown", offset: 0)
            _ = try await Self.publish(client, components, id: "drafty", status: "draft", offset: 10)
            _ = try await Self.publish(client, components, id: "gone", offset: 20)
            let archived = try await client.execute(uri: "/v1/admin/packs/gone", method: .delete, headers: .admin())
            #expect(await components.snapshots.waitForVersion(try #require(archived.catalogVersion)))
            let catalog = try await client.execute(uri: "/v1/catalog", method: .get)
            guard case .array(let packs)? = catalog.json["packs"] else { Issue.record("no packs"); return }
            #expect(packs.map { $0["id"] } == [.string("shown")])
            #expect(try await client.execute(uri: "/v1/catalog/packs/drafty", method: .get).status == .notFound)
            #expect(try await client.execute(uri: "/v1/catalog/packs/gone", method: .get).status == .notFound)
            #expect(catalog.json["version"] == .integer(4))
        }
    }

    @Test func changesFeed() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { client, components in
            let v1 = try await Self.publish(client, components, id: "alpha", offset: 0)
            _ = try await Self.publish(client, components, id: "beta", offset: 10)
            let archived = try await client.execute(uri: "/v1/admin/packs/alpha", method: .delete, headers: .admin())
            let current = try #require(archived.catalogVersion)

            let since0 = try await client.execute(uri: "/v1/catalog/changes?since=0", method: .get)
            #expect(since0.status == .ok)
            #expect(since0.json["currentVersion"] == .integer(current))
            #expect(since0.json["packs"]?["upserted"] == .array([.string("beta")]))
            #expect(since0.json["packs"]?["removed"] == .array([.string("alpha")]))
            #expect(since0.json["gifConfigChanged"] == .bool(false))

            let sinceV1 = try await client.execute(uri: "/v1/catalog/changes?since=\(v1)", method: .get)
            #expect(sinceV1.json["packs"]?["upserted"] == .array([.string("beta")]))
            let upToDate = try await client.execute(uri: "/v1/catalog/changes?since=\(current)", method: .get)
            #expect(upToDate.json["packs"]?["upserted"] == .array([]))

            for bad in ["abc", "-1", "1.5", ""] {
                #expect(try await client.execute(uri: "/v1/catalog/changes?since=\(bad)", method: .get).status == .badRequest, "since=\(bad)")
            }
            #expect(try await client.execute(uri: "/v1/catalog/changes", method: .get).status == .badRequest)
            #expect(try await client.execute(uri: "/v1/catalog/changes?since=\(current + 1)", method: .get).status == .badRequest)

            // Pretend the log was pruned up to the current version.
            try await TestService.execute(database, "UPDATE catalog_state SET changes_since = \(current)")
            let expired = try await client.execute(uri: "/v1/catalog/changes?since=\(v1)", method: .get)
            #expect(expired.status == .gone)
            #expect(expired.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func twoReplicasServeIdenticalBytesAndConverge() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { first, firstComponents in
            _ = try await Self.publish(first, firstComponents, id: "shared")
            // Replica B re-checks the version only once a minute, so only LISTEN/NOTIFY can bring it the write below.
            try await TestService.run(database: database, poll: .seconds(60)) { second, secondComponents in
                // Replica B loads the same version and answers byte-identical bodies with identical tags.
                let firstCatalog = try await first.execute(uri: "/v1/catalog", method: .get)
                #expect(await secondComponents.snapshots.waitForVersion(firstCatalog.catalogVersion ?? 0))
                let secondCatalog = try await second.execute(uri: "/v1/catalog", method: .get)
                #expect(firstCatalog.body == secondCatalog.body)
                #expect(firstCatalog.headers[.eTag] == secondCatalog.headers[.eTag])
                #expect(firstCatalog.headers[.lastModified] == secondCatalog.headers[.lastModified])

                // A write through A reaches B through the notification (the poll is a minute away).
                let write = try await PackUploads.create(first, id: "fresh", offset: 30)
                let version = try #require(write.catalogVersion)
                #expect(await secondComponents.snapshots.waitForVersion(version, timeout: .seconds(20)))
                let fromB = try await second.execute(uri: "/v1/catalog/packs/fresh", method: .get)
                #expect(fromB.status == .ok)
                #expect(await firstComponents.snapshots.waitForVersion(version))
                let fromA = try await first.execute(uri: "/v1/catalog/packs/fresh", method: .get)
                #expect(fromA.body == fromB.body)

                // And the other way: a write through B reaches A (whose poll is 5 s away; NOTIFY is immediate).
                let other = try await PackUploads.create(second, id: "from-b", offset: 60)
                let otherVersion = try #require(other.catalogVersion)
                #expect(await firstComponents.snapshots.waitForVersion(otherVersion, timeout: .seconds(20)))
                #expect(try await first.execute(uri: "/v1/catalog/packs/from-b", method: .get).status == .ok)
            }
        }
    }
}

extension HTTPField.Name {
    static let accessControlAllowOriginName = HTTPField.Name("Access-Control-Allow-Origin")!
    static let origin = HTTPField.Name("Origin")!
}
