import CatalogAPI
import CatalogCore
@testable import CatalogStore
import CatalogTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The S3 API server scripts/test started (moto's standalone server, which speaks S3's REST protocol).
enum TestObjectStore {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "CATALOG_TEST_S3_ENDPOINT is not set: run the tests with scripts/test, which starts an S3 API server" }
    }

    /// Settings for a fresh bucket of its own (created), keys under `assets/`.
    static func freshBucket(timeout: Duration = .seconds(10)) async throws -> S3Settings {
        guard let endpoint = ProcessInfo.processInfo.environment["CATALOG_TEST_S3_ENDPOINT"] else { throw Missing() }
        let settings = settings(endpoint: endpoint, timeout: timeout)
        try await S3AssetStorage(settings: settings).createBucket()
        return settings
    }

    static func settings(endpoint: String, timeout: Duration = .seconds(10)) -> S3Settings {
        S3Settings(
            endpoint: endpoint, region: "us-east-1", bucket: "catalog-" + UUID().uuidString.lowercased().prefix(18), prefix: "assets/", forcePathStyle: true,
            credentials: .init(accessKeyId: "test-access-key", secretAccessKey: "test-secret-access-key"), timeout: timeout
        )
    }
}

@Suite("Assets in S3-compatible storage: objects before rows, reads through the service, a store that fails")
struct S3AssetStoreTests {
    struct AssetRow: Equatable { var sha256: String; var mime: String; var key: String? }

    static func rows(_ database: DatabaseURL) async throws -> [AssetRow] {
        try await TestService.query(database, "SELECT sha256 || ' ' || mime || ' ' || COALESCE(object_key, '-') || ' ' || (bytes IS NULL)::text FROM assets ORDER BY sha256", as: String.self)
            .map { line in
                let parts = line.split(separator: " ").map(String.init)
                return AssetRow(sha256: parts[0], mime: parts[1], key: parts[3] == "true" ? parts[2] : nil)
            }
    }

    @Test func uploadsWriteObjectsAndAssetsAreServedFromThem() async throws {
        let settings = try await TestObjectStore.freshBucket()
        let storage = S3AssetStorage(settings: settings)
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database, assetStore: .s3(settings)) { client, _ in
            let created = try await PackUploads.create(client, id: "in-s3", count: 3, offset: 700)
            #expect(created.status == .created, "\(created.text)")
            let rows = try await Self.rows(database)
            #expect(rows.count == 8)  // tray and three stickers, each with its thumbnail
            for row in rows {
                // The row holds the key, not the bytes, and the object is there under the content address.
                let key = try #require(row.key, "asset \(row.sha256) kept its bytes in the row")
                #expect(key.hasPrefix("assets/\(row.sha256)."))
                let object = try #require(try await storage.object(key: key))
                #expect(PackAssembler.sha256Hex(object) == row.sha256)
                let ext = String(key.split(separator: ".").last ?? "")
                let served = try await client.execute(uri: "/v1/assets/\(row.sha256).\(ext)", method: .get)
                #expect(served.status == .ok)
                #expect(Array(served.body.readableBytesView) == object)
                #expect(served.headers[.contentType] == row.mime)
            }
            // The same images again (another pack) add no row and no object.
            let again = try await PackUploads.create(client, id: "in-s3-again", count: 3, offset: 700)
            #expect(again.status == .created)
            #expect(try await Self.rows(database).count == 8)
        }
    }

    @Test func aStoreThatIsDownFailsUploadsCleanlyAndReadsGoOn() async throws {
        // Nothing listens on the port: connections are refused.
        let closed = TestObjectStore.settings(endpoint: "http://127.0.0.1:\(try RawHTTP.unusedPort())", timeout: .seconds(3))
        try await Self.refusesUploads(to: closed)
    }

    @Test func aStoreThatNeverAnswersFailsUploadsWithinItsTimeout() async throws {
        // A socket that listens but never accepts or answers: the request waits out the store's timeout.
        let silent = try RawHTTP.SilentListener()
        defer { silent.close() }
        // (The suite's client gives up after 2 minutes, so a wait without end would fail this test, not hang it.)
        let settings = TestObjectStore.settings(endpoint: "http://127.0.0.1:\(silent.port)", timeout: .seconds(2))
        try await Self.refusesUploads(to: settings)
    }

    /// With `settings` for a store that fails: an upload answers 503 with Retry-After as problem+json and stores
    /// nothing; the catalog (from memory) keeps answering.
    static func refusesUploads(to settings: S3Settings) async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database, assetStore: .s3(settings)) { client, _ in
            let before = try await TestService.counts(database)
            let refused = try await PackUploads.create(client, id: "no-store", count: 2, offset: 720)
            #expect(refused.status == .serviceUnavailable, "\(refused.text)")
            #expect(refused.headers[.retryAfter] != nil)
            #expect(refused.headers[.contentType] == "application/problem+json")
            #expect(try await TestService.counts(database) == before)
            let catalog = try await client.execute(uri: "/v1/catalog", method: .get)
            #expect(catalog.status == .ok)
        }
    }

    @Test func assetsMoveFromRowsToObjectsWhileServedAndTheMoveResumes() async throws {
        let settings = try await TestObjectStore.freshBucket()
        let database = try await TestService.freshDatabase()
        // Written while the bytes lived in PostgreSQL.
        try await TestService.run(database: database) { client, _ in
            let created = try await PackUploads.create(client, id: "moving", count: 2, offset: 740)
            #expect(created.status == .created)
        }
        let before = try await Self.rows(database)
        #expect(before.count == 6 && before.allSatisfy { $0.key == nil }, "tray and two stickers, each with its thumbnail")
        // A replica switched to S3 serves rows of either form; the move runs beside it.
        try await TestService.run(database: database, assetStore: .s3(settings)) { client, components in
            let first = try #require(before.first)
            let ext = first.mime == "image/png" ? "png" : "webp"
            let served = try await client.execute(uri: "/v1/assets/\(first.sha256).\(ext)", method: .get)
            #expect(served.status == .ok)
            let mover = AssetMaintenance(database: components.database, storage: S3AssetStorage(settings: settings))
            #expect(try await mover.moveRowsToObjects(batch: 2) == 6)
            let after = try await Self.rows(database)
            #expect(after.map(\.sha256) == before.map(\.sha256))
            #expect(after.allSatisfy { $0.key?.hasPrefix("assets/") == true })
            let servedAgain = try await client.execute(uri: "/v1/assets/\(first.sha256).\(ext)", method: .get)
            #expect(servedAgain.status == .ok)
            #expect(servedAgain.body == served.body)
            // Run again (resumed after a stop, or by a second operator): nothing left to move.
            #expect(try await mover.moveRowsToObjects() == 0)
        }
    }

    @Test func redirectDeliverySendsClientsToAPresignedObjectOrTheCDN() async throws {
        var presigning = try await TestObjectStore.freshBucket()
        presigning.delivery = .redirect(base: nil)
        let settings = presigning
        let database = try await TestService.freshDatabase()
        let (sha, bytes): (String, [UInt8]) = try await TestService.run(database: database, assetStore: .s3(settings)) { client, _ in
            let created = try await PackUploads.create(client, id: "redirected", count: 1, offset: 760)
            #expect(created.status == .created, "\(created.text)")
            let row = try #require(try await Self.rows(database).first)
            let answer = try await client.execute(uri: "/v1/assets/\(row.sha256).png", method: .get)
            #expect(answer.status == .found)
            #expect(answer.headers[.cacheControl] == "public, max-age=\(S3Settings.redirectCacheSeconds)")
            // A presigned GET of the object in the store, which answers with the bytes.
            let location = try #require(answer.headers[.location])
            let endpoint = try #require(URLComponents(string: settings.endpoint))
            #expect(location.hasPrefix("\(settings.endpoint)/\(settings.bucket)/assets/\(row.sha256).png?X-Amz-Algorithm=AWS4-HMAC-SHA256&"))
            #expect(location.contains("X-Amz-Expires=\(S3Settings.presignedSeconds)&X-Amz-SignedHeaders=host&X-Amz-Signature="))
            let target = String(location.dropFirst(settings.endpoint.count))
            let fetched = try await RawHTTP.exchange(port: try #require(endpoint.port), Array("GET \(target) HTTP/1.1\r\nHost: \(endpoint.host ?? ""):\(endpoint.port ?? 0)\r\nConnection: close\r\n\r\n".utf8))
            #expect(fetched.hasPrefix("HTTP/1.1 200"), "\(fetched.prefix(200))")
            let key = try #require(row.key)
            let stored = try #require(try await S3AssetStorage(settings: settings).object(key: key))
            // A 304 needs no store at all.
            let revalidated = try await client.execute(uri: "/v1/assets/\(row.sha256).png", method: .get, headers: [.ifNoneMatch: "\"\(row.sha256)\""])
            #expect(revalidated.status == .notModified)
            return (row.sha256, stored)
        }
        #expect(PackAssembler.sha256Hex(bytes) == sha)
        // With a CDN (or public bucket) in front: its URL, no signature.
        var viaCDN = settings
        viaCDN.delivery = .redirect(base: "https://assets.example.com/catalog")
        try await TestService.run(database: database, assetStore: .s3(viaCDN)) { client, _ in
            let answer = try await client.execute(uri: "/v1/assets/\(sha).png", method: .get)
            #expect(answer.status == .found)
            #expect(answer.headers[.location] == "https://assets.example.com/catalog/assets/\(sha).png")
        }
    }

    @Test func theSweepDeletesOnlyOldObjectsNoRowNames() async throws {
        let settings = try await TestObjectStore.freshBucket()
        let store = S3AssetStorage(settings: settings)
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database, assetStore: .s3(settings)) { client, components in
            let created = try await PackUploads.create(client, id: "kept", count: 2, offset: 780)
            #expect(created.status == .created)
            // What a refused upload leaves: an object without a row.
            let stray = PackUploads.image(790)
            let descriptor = AssetDescriptor(sha256: PackAssembler.sha256Hex(stray), mime: "image/png", byteSize: stray.count, width: 64, height: 64, frameCount: 1)
            guard case .object(let strayKey) = try await store.place(AssetBlob(descriptor: descriptor, bytes: stray)) else { Issue.record("not an object"); return }
            let sweep = OrphanSweep(database: components.database, store: store)
            // Young objects are left alone: their upload may still be committing.
            let young = try await sweep.run(minimumAge: .seconds(3600))
            // The tray and two stickers with their three thumbnails, and the stray.
            #expect(young == (seen: 7, deleted: 0))
            let old = try await sweep.run(minimumAge: .seconds(3600), now: Date().addingTimeInterval(7200))
            #expect(old == (seen: 7, deleted: 1))
            #expect(try await store.object(key: strayKey) == nil)
            for row in try await Self.rows(database) {
                #expect(try await store.object(key: try #require(row.key)) != nil, "\(row.sha256)")
            }
        }
    }

    @Test func listingsAreReadWithoutAnXMLLibrary() {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?><ListBucketResult><IsTruncated>true</IsTruncated>\
            <Contents><Key>assets/ab.png</Key><LastModified>2026-11-30T06:00:00.000Z</LastModified></Contents>\
            <Contents><Key>assets/a&amp;b.png</Key><LastModified>2026-11-30T06:00:00Z</LastModified></Contents>\
            <Contents><Key>assets/cd.webp</Key><LastModified>2026-11-30T07:00:00Z</LastModified></Contents>\
            <NextContinuationToken>t&amp;1</NextContinuationToken></ListBucketResult>
            """
        let page = S3ListingReader.read(Array(xml.utf8))
        #expect(page.objects.map(\.key) == ["assets/ab.png", "assets/cd.webp"])
        #expect(page.objects.map(\.modified.timeIntervalSince1970) == [1_796_018_400, 1_796_022_000])
        #expect(page.next == "t&1")
    }
}
