import CatalogAPI
import CatalogCore
import CatalogStore
import CatalogTestSupport
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Deleting an archived pack for good, and collecting the assets nothing refers to any more.
@Suite("Pack deletion frees space: purge archived packs, collect unreferenced assets")
struct PurgeTests {
    static func purge(_ client: any TestClientProtocol, _ id: String, ifMatch: String?) async throws -> TestResponse {
        var headers = HTTPFields.admin()
        if let ifMatch { headers[.ifMatch] = ifMatch }
        return try await client.execute(uri: "/v1/admin/packs/\(id)/purge", method: .post, headers: headers)
    }

    /// The error status resolve gives sticker `id` (nil: resolved).
    static func resolvedStatus(_ client: any TestClientProtocol, _ id: String) async throws -> Int64? {
        let resolved = try await ResolveTests.post(client, "/v1/resolve", #"{"items":[{"kind":"sticker","id":"\#(id)"}]}"#)
        #expect(resolved.status == .ok)
        guard case .array(let items)? = resolved.json["items"], let item = items.first else { return nil }
        if case .integer(let status)? = item["error"]?["status"] { return status }
        return nil
    }

    @Test func onlyAnArchivedPackIsPurgedAndOnlyWithItsETag() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { client, components in
            #expect(try await PackUploads.create(client, id: "doomed", count: 2, offset: 800).status == .created)
            let required = try await Self.purge(client, "doomed", ifMatch: nil)
            #expect(required.status == .preconditionRequired)
            #expect(required.headers[.contentType] == "application/problem+json")
            let published = try await Self.purge(client, "doomed", ifMatch: "\"r1\"")
            #expect(published.status == .conflict, "a published pack is archived first")
            #expect(published.text.contains("archive it first"))
            let archived = try await client.execute(uri: "/v1/admin/packs/doomed", method: .delete, headers: .admin([.ifMatch: "\"r1\""]))
            #expect(archived.status == .ok)
            #expect(await components.snapshots.waitForVersion(try #require(archived.catalogVersion)))
            #expect(try await Self.resolvedStatus(client, "doomed-s0") == 410, "archived: withdrawn")
            let stale = try await Self.purge(client, "doomed", ifMatch: "\"r1\"")
            #expect(stale.status == .preconditionFailed)
            let before = try await TestService.counts(database)
            let purged = try await Self.purge(client, "doomed", ifMatch: "\"r2\"")
            #expect(purged.status == .noContent)
            let version = try #require(purged.catalogVersion)
            let after = try await TestService.counts(database)
            #expect(after.packs == before.packs - 1 && after.stickers == before.stickers - 2 && after.version == before.version + 1)
            #expect(after.assets == before.assets, "assets wait for the collector")
            #expect(try await client.execute(uri: "/v1/admin/packs/doomed", method: .get, headers: .admin()).status == .notFound)
            #expect(try await TestService.query(database, "SELECT count(*) FROM audit_log WHERE action = 'pack.purge' AND entity = 'pack:doomed'", as: Int64.self) == [1])
            // Once served, its stickers are unknown (404), no longer "withdrawn" (410).
            #expect(await components.snapshots.waitForVersion(version))
            #expect(try await Self.resolvedStatus(client, "doomed-s0") == 404)
            #expect(try await Self.purge(client, "doomed", ifMatch: "*").status == .notFound)
        }
    }

    @Test func theCollectorDeletesOnlyOldAssetsNothingRefersTo() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { client, components in
            // Two packs sharing their tray; one purged.
            #expect(try await PackUploads.create(client, id: "kept", count: 1, offset: 820).status == .created)
            #expect(try await PackUploads.create(client, id: "gone", count: 2, offset: 830).status == .created)
            _ = try await client.execute(uri: "/v1/admin/packs/gone", method: .delete, headers: .admin())
            #expect(try await Self.purge(client, "gone", ifMatch: "*").status == .noContent)
            let maintenance = AssetMaintenance(database: components.database, storage: PostgresAssetStorage())
            // Young assets stay whatever refers to them: an upload may be reusing one.
            #expect(try await maintenance.collectUnreferenced(minimumAge: .seconds(3600)).isEmpty)
            let deleted = try await maintenance.collectUnreferenced(minimumAge: .zero)
            let images = (0..<2).map { PackUploads.image($0 + 830) }
            let thumbnails = try images.map { image in
                try #require(try Thumbnailer.thumbnail(of: image, image: ImageInspector.inspect(image))).bytes
            }
            let expected = Set((images + thumbnails).map(PackAssembler.sha256Hex))
            #expect(Set(deleted) == expected, "the purged pack's own stickers and their thumbnails, not the tray it shared")
            #expect(try await TestService.query(database, "SELECT count(*) FROM assets", as: Int64.self) == [4], "the kept pack's sticker and tray, with their thumbnails")
            #expect(try await TestService.query(database, "SELECT count(*) FROM audit_log WHERE action = 'asset.gc'", as: Int64.self) == [1])
            #expect(try await maintenance.collectUnreferenced(minimumAge: .zero).isEmpty)
            let kept = PackAssembler.sha256Hex(PackUploads.image(820))
            #expect(try await client.execute(uri: "/v1/assets/\(kept).png", method: .get).status == .ok)
        }
    }

    @Test func collectedObjectsLeaveTheStoreToo() async throws {
        let settings = try await TestObjectStore.freshBucket()
        let store = S3AssetStorage(settings: settings)
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database, assetStore: .s3(settings)) { client, components in
            #expect(try await PackUploads.create(client, id: "s3-gone", count: 1, offset: 850).status == .created)
            let sticker = PackAssembler.sha256Hex(PackUploads.image(850))
            let key = "assets/\(sticker).png"
            #expect(try await store.object(key: key) != nil)
            _ = try await client.execute(uri: "/v1/admin/packs/s3-gone", method: .delete, headers: .admin())
            #expect(try await Self.purge(client, "s3-gone", ifMatch: "*").status == .noContent)
            let deleted = try await AssetMaintenance(database: components.database, storage: store).collectUnreferenced(minimumAge: .zero)
            #expect(deleted.contains(sticker))
            #expect(try await store.object(key: key) == nil)
        }
    }
}
