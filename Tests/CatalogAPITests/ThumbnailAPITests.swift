import CatalogAPI
import CatalogCore
import CatalogStore
import CatalogTestSupport
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

@Suite("Thumbnails through the API: made at upload, listed in the catalog, served, backfilled, collected")
struct ThumbnailAPITests {
    /// The asset a catalog URL names, fetched from the service.
    static func fetch(_ client: any TestClientProtocol, _ url: String) async throws -> TestResponse {
        let path = try #require(url.range(of: "/v1/assets/")).lowerBound
        return try await client.execute(uri: String(url[path...]), method: .get)
    }

    static func string(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }

    @Test func everyStickerAndTrayGetsA128PixelWebPThumbnailClientsCanFetch() async throws {
        try await TestService.run { client, components in
            let manifest = #"{"id":"thumbs","title":{"en":"Thumbs"},"publisher":"Tests","tray":"tray.png","status":"published","stickers":[{"id":"thumbs-blob","file":"blob.webp","emojis":["😀"]},{"id":"thumbs-video","file":"video.webm","emojis":["🎬"]},{"id":"thumbs-wave","file":"wave.tgs","emojis":["👋"]},{"id":"thumbs-ball","file":"ball.webp","emojis":["⚽"]}]}"#
            let body = PackUploads.multipart(manifest: manifest, files: [
                ("tray.png", ImageFactory.seed("blobs", "tray.png")), ("blob.webp", ImageFactory.seed("blobs", "blob-happy.webp")),
                ("video.webm", ImageFactory.media("video-sticker.webm")), ("wave.tgs", AnimationFactory.tgs()),
                ("ball.webp", ImageFactory.seed("bouncy", "bouncy-red.webp")),
            ])
            let created = try await client.execute(uri: "/v1/admin/packs", method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished))
            #expect(created.status == .created, "\(created.text)")
            #expect(await components.snapshots.waitForVersion(try #require(created.catalogVersion)))

            let pack = try await client.execute(uri: "/v1/catalog/packs/thumbs", method: .get).json
            guard case .array(let stickers)? = pack["stickers"] else { Issue.record("no stickers: \(pack)"); return }
            let trayThumbnail = try #require(Self.string(pack["trayThumbnailUrl"]))
            let tray = try await Self.fetch(client, trayThumbnail)
            #expect(tray.status == .ok && tray.headers[.contentType] == "image/webp")
            let trayImage = try Thumbnailer.decodeWebP(Array(tray.body.readableBytesView))
            #expect(trayImage.width == 96 && trayImage.height == 96, "a tray keeps its size")

            for sticker in stickers {
                let id = Self.string(sticker["id"]) ?? "?"
                guard id != "thumbs-wave" else {
                    #expect(sticker["thumbnailUrl"] == nil, "TGS has no thumbnail: clients draw the Lottie")
                    continue
                }
                let url = try #require(Self.string(sticker["thumbnailUrl"]), "\(id) has a thumbnail")
                #expect(url.hasSuffix(".webp"))
                let fetched = try await Self.fetch(client, url)
                #expect(fetched.status == .ok, "\(id)")
                #expect(fetched.headers[.contentType] == "image/webp")
                #expect(fetched.headers[.cacheControl]?.contains("immutable") == true)
                let bytes = Array(fetched.body.readableBytesView)
                let decoded = try Thumbnailer.decodeWebP(bytes)
                #expect(decoded.width == 128 && decoded.height == 128, "\(id)")
                #expect(PackAssembler.sha256Hex(bytes) == url.split(separator: "/").last?.split(separator: ".").first.map(String.init), "content-addressed")
            }

            // The admin document lists them too, and PUT takes it back unchanged (thumbnail URLs are read-only).
            let document = try await client.execute(uri: "/v1/admin/packs/thumbs", method: .get, headers: .admin())
            #expect(document.text.contains(#""trayThumbnailUrl":"#))
            let put = try await client.execute(
                uri: "/v1/admin/packs/thumbs", method: .put,
                headers: .admin([.contentType: "application/json", .ifMatch: try #require(document.headers[.eTag])]), body: document.body
            )
            #expect(put.status == .ok, "\(put.text)")
            // The preview page shows the thumbnails in its grid, each linking to its full image.
            let preview = try await client.execute(uri: "/admin/preview", method: .get, headers: .admin([.accept: "text/html"]))
            let blobThumbnail = try #require(stickers.first { Self.string($0["id"]) == "thumbs-blob" }.flatMap { Self.string($0["thumbnailUrl"]) })
            #expect(preview.status == .ok)
            #expect(preview.text.contains(#"<img class="thumbnail" src="\#(blobThumbnail)" width="128" height="128""#), "the preview shows each sticker's thumbnail at its size")
        }
    }

    @Test func anImageThatDoesNotDecodeIsRefusedByNameAndNothingIsStored() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { client, _ in
            let before = try await TestService.counts(database)
            let body = PackUploads.multipart(manifest: PackUploads.manifest(id: "broken", count: 2), files: [
                ("tray.png", PackUploads.tray), ("s0.png", PackUploads.image(3)), ("s1.png", ImageFactory.png(width: 200, height: 200, pixels: false)),
            ])
            let refused = try await client.execute(uri: "/v1/admin/packs", method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished))
            #expect(refused.status.code == 422 || refused.status.code == 400, "\(refused.status)")
            #expect(refused.headers[.contentType] == "application/problem+json")
            #expect(refused.text.contains("s1.png") && refused.text.contains("does not decode"), "\(refused.text)")
            let after = try await TestService.counts(database)
            #expect(after.assets == before.assets && after.packs == before.packs)
        }
    }

    @Test func imagesStoredBeforeThumbnailsGetThemFromTheBackfillInOneCatalogVersion() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { client, components in
            #expect(try await PackUploads.create(client, id: "older", count: 2, offset: 900).status == .created)
            #expect(try await PackUploads.create(client, id: "draft", count: 1, status: "draft", offset: 910).status == .created)
            // As if stored before migration 0006: no image has a thumbnail.
            try await TestService.execute(database, "UPDATE assets SET thumbnail_sha256 = NULL")
            let repository = PostgresPackRepository(database: components.database)
            let versionBefore = try await TestService.counts(database).version
            let result = try await repository.makeMissingThumbnails()
            #expect(result.made == 4 && result.skipped == 0, "two trays' one shared PNG counted once, three sticker images: \(result)")
            let version = try #require(result.catalogVersion)
            #expect(version == versionBefore + 1, "one version records them all")
            #expect(try await TestService.query(database, "SELECT entity_id FROM catalog_changes WHERE version = \(version) ORDER BY entity_id", as: String.self) == ["older"], "only the published pack is an upsert")
            #expect(await components.snapshots.waitForVersion(version))
            let pack = try await client.execute(uri: "/v1/catalog/packs/older", method: .get).json
            guard case .array(let stickers)? = pack["stickers"] else { Issue.record("no stickers"); return }
            #expect(stickers.allSatisfy { Self.string($0["thumbnailUrl"]) != nil } && Self.string(pack["trayThumbnailUrl"]) != nil)
            let again = try await repository.makeMissingThumbnails()
            #expect(again.made == 0 && again.catalogVersion == nil, "a second run finds nothing to do")
        }
    }

    @Test func theCollectorTakesAnImageAndItsThumbnailInOneRun() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { client, components in
            #expect(try await PackUploads.create(client, id: "short", count: 1, offset: 950).status == .created)
            _ = try await client.execute(uri: "/v1/admin/packs/short", method: .delete, headers: .admin())
            #expect(try await PurgeTests.purge(client, "short", ifMatch: "*").status == .noContent)
            let deleted = try await AssetMaintenance(database: components.database, storage: PostgresAssetStorage()).collectUnreferenced(minimumAge: .zero)
            #expect(deleted.count == 4, "the sticker image, the tray and their thumbnails: \(deleted)")
            #expect(try await TestService.query(database, "SELECT count(*) FROM assets", as: Int64.self) == [0])
        }
    }
}
