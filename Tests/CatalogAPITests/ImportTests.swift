import CatalogAPI
import CatalogCore
import CatalogTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

@Suite("Imports of WhatsApp, .wastickers and Telegram layouts: a report per pack, all or nothing per pack")
struct ImportTests {
    static func post(_ client: any TestClientProtocol, zip: [UInt8], query: String = "") async throws -> TestResponse {
        try await client.execute(uri: "/v1/admin/imports" + query, method: .post, headers: .admin([.contentType: "application/zip"]), body: ByteBuffer(bytes: zip))
    }

    static func zip(_ files: [(String, [UInt8])]) -> [UInt8] {
        ZipFactory.archive(files.map { ZipFactory.Entry(name: $0.0, bytes: $0.1) })
    }

    static func wastickers(title: String, stickers: [[UInt8]]) -> [UInt8] {
        zip([("title.txt", Array(title.utf8)), ("author.txt", Array("Acme Studio\n".utf8)), ("tray.png", PackUploads.tray)]
            + stickers.enumerated().map { ("sticker_\($0.offset + 1).webp", $0.element) })
    }

    /// The pack's stickers as (sha256, emojis, label, keywords) from the admin document.
    static func stickers(_ client: any TestClientProtocol, _ id: String) async throws -> [[String: JSONValue]] {
        let pack = try await client.execute(uri: "/v1/admin/packs/\(id)", method: .get, headers: .admin()).json
        guard case .array(let items)? = pack["stickers"] else { return [] }
        return items.map { item in
            var kept: [String: JSONValue] = [:]
            for key in ["sha256", "emojis", "label", "keywords", "format"] { kept[key] = item[key] ?? .null }
            return kept
        }
    }

    @Test func whatsAppExportImportsBackAsTheSamePack() async throws {
        try await TestService.run { client, _ in
            let webp = ImageFactory.webpLossless(width: 512, height: 512)
            let manifest = #"{"id":"round","title":{"en":"Round trip"},"publisher":"Acme","tray":"tray.png","status":"published","stickers":[{"id":"round-1","file":"a.webp","emojis":["😀","😃"],"label":"grin"},{"id":"round-2","file":"b.webp","emojis":["🙂"]},{"id":"round-3","file":"c.webp","emojis":["😎"],"label":"cool"}]}"#
            #expect(try await ExportTests.upload(client, manifest, [("tray.png", PackUploads.tray), ("a.webp", webp), ("b.webp", webp), ("c.webp", webp)]).status == .created)
            let exported = try await ExportTests.export(client, "round", "whatsapp")
            #expect(exported.status == .ok)

            let response = try await Self.post(client, zip: Array(exported.body.readableBytesView))
            #expect(response.status == .ok, "\(response.text)")
            let report = response.json
            #expect(report["created"] == .integer(1) && report["refused"] == .integer(0))
            guard case .array(let packs)? = report["packs"], let first = packs.first else { Issue.record("\(report)"); return }
            // The identifier is taken (by the pack it came from): the import gets the next free id.
            #expect(first["id"] == .string("round-2"))
            #expect(first["layout"] == .string("whatsapp") && first["source"] == .string("round") && first["stickers"] == .integer(3))
            #expect(response.catalogVersion != nil)

            // Ids aside, the same pack: images, emoji, labels, title, publisher; a draft until published.
            #expect(try await Self.stickers(client, "round-2") == (try await Self.stickers(client, "round")))
            let imported = try await client.execute(uri: "/v1/admin/packs/round-2", method: .get, headers: .admin()).json
            #expect(imported["title"]?["en"] == .string("Round trip"))
            #expect(imported["publisher"] == .string("Acme"))
            #expect(imported["status"] == .string("draft"))
        }
    }

    @Test func telegramSetImportsBackWithFormatsAndKeywords() async throws {
        try await TestService.run { client, _ in
            let manifest = #"{"id":"tg-round","title":{"en":"Motion"},"publisher":"Acme","tray":"tray.png","status":"published","stickers":[{"id":"tg-round-1","file":"wave.tgs","emojis":["👋","🙋"],"keywords":["hello","hi"]},{"id":"tg-round-2","file":"run.webm","emojis":["🏃"]},{"id":"tg-round-3","file":"still.webp","emojis":["🙂"]}]}"#
            #expect(try await ExportTests.upload(client, manifest, [
                ("tray.png", PackUploads.tray), ("wave.tgs", AnimationFactory.tgs()), ("run.webm", AnimationFactory.webm()),
                ("still.webp", ImageFactory.webpLossless(width: 512, height: 320)),
            ]).status == .created)
            let exported = try await ExportTests.export(client, "tg-round", "telegram")
            #expect(exported.status == .ok)
            let response = try await Self.post(client, zip: Array(exported.body.readableBytesView), query: "?status=published")
            #expect(response.status == .ok, "\(response.text)")
            guard case .array(let packs)? = response.json["packs"], let first = packs.first else { Issue.record("\(response.text)"); return }
            #expect(first["layout"] == .string("telegram"))
            guard case .string(let id)? = first["id"] else { Issue.record("no id: \(response.text)"); return }
            #expect(id == "tg-round-2")
            #expect(try await Self.stickers(client, id) == (try await Self.stickers(client, "tg-round")))
            let imported = try await client.execute(uri: "/v1/admin/packs/\(id)", method: .get, headers: .admin()).json
            #expect(imported["status"] == .string("published"))
        }
    }

    @Test func wastickersFilesAndSeveralPacksEachAllOrNothing() async throws {
        try await TestService.run { client, components in
            let sticker = ImageFactory.webpLossless(width: 512, height: 512)
            let good = Self.wastickers(title: "Happy Faces!", stickers: [sticker, sticker, sticker])
            // The second pack has a sticker that is not an image: it alone is refused, and nothing of it is stored.
            let bad = Self.wastickers(title: "Broken", stickers: [sticker, Array("<svg/>".utf8)])
            let before = try await TestService.counts(components.configuration.databaseURL)
            let response = try await Self.post(client, zip: Self.zip([("happy.wastickers", good), ("broken.wastickers", bad)]))
            #expect(response.status == .ok, "\(response.text)")
            let report = response.json
            #expect(report["created"] == .integer(1) && report["refused"] == .integer(1))
            guard case .array(let packs)? = report["packs"], packs.count == 2 else { Issue.record("\(report)"); return }
            let happy = try #require(packs.first { $0["source"] == .string("Happy Faces!") })
            #expect(happy["id"] == .string("happy-faces"))
            #expect(happy["layout"] == .string("wastickers"))
            guard case .array(let notes)? = happy["notes"] else { Issue.record("no notes"); return }
            #expect(notes == [.string(".wastickers carries no emoji: every sticker got 🙂")])
            let broken = try #require(packs.first { $0["source"] == .string("Broken") })
            #expect(broken["status"] == .string("refused"))
            #expect("\(broken)".contains("sticker_2.webp"), "\(broken)")
            let after = try await TestService.counts(components.configuration.databaseURL)
            #expect(after.packs == before.packs + 1)
            let imported = try await client.execute(uri: "/v1/admin/packs/happy-faces", method: .get, headers: .admin()).json
            #expect(imported["publisher"] == .string("Acme Studio"))
            #expect(imported["title"]?["en"] == .string("Happy Faces!"))

            // The same .wastickers as multipart parts works too, and its id no longer clashes.
            var body = MultipartBody()
            body.addFile("happy.wastickers", good)
            let multipart = try await client.execute(
                uri: "/v1/admin/imports", method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished)
            )
            #expect(multipart.status == .ok, "\(multipart.text)")
            #expect(multipart.text.contains(#""id":"happy-faces-2""#))
        }
    }

    @Test func nothingImportableIsOneProblemNamingEachPack() async throws {
        try await TestService.run { client, components in
            let before = try await TestService.counts(components.configuration.databaseURL)
            let unknown = try await Self.post(client, zip: Self.zip([("readme.md", Array("hello".utf8))]))
            #expect(unknown.status == .unprocessableContent)
            #expect(unknown.text.contains("is no layout this service imports"), "\(unknown.text)")
            // WhatsApp's layout with a sticker missing and too few emoji rules broken: every fault named.
            let contents = #"{"sticker_packs":[{"identifier":"lost","name":"Lost","publisher":"Acme","tray_image_file":"tray.png","stickers":[{"image_file":"missing.webp","emojis":["😀"]}]}]}"#
            let lost = try await Self.post(client, zip: Self.zip([("contents.json", Array(contents.utf8)), ("lost/tray.png", PackUploads.tray)]))
            #expect(lost.status == .unprocessableContent)
            #expect(lost.text.contains("lost: "), "\(lost.text)")
            #expect(lost.text.contains("missing.webp"))
            let status = try await client.execute(uri: "/v1/admin/imports?status=archived", method: .post, headers: .admin([.contentType: "application/zip"]), body: ByteBuffer(bytes: Self.zip([("a", [1])])))
            #expect(status.status == .badRequest)
            #expect(try await TestService.counts(components.configuration.databaseURL) == before)
        }
    }
}
