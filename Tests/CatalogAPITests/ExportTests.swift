import CatalogAPI
import CatalogCore
import CatalogTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

@Suite("Exports in WhatsApp's and Telegram's layouts: a zip the app reads, or every broken rule listed")
struct ExportTests {
    static func upload(_ client: any TestClientProtocol, _ manifest: String, _ files: [(String, [UInt8])]) async throws -> TestResponse {
        let body = PackUploads.multipart(manifest: manifest, files: files)
        return try await client.execute(uri: "/v1/admin/packs", method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished))
    }

    static func export(_ client: any TestClientProtocol, _ id: String, _ layout: String?) async throws -> TestResponse {
        try await client.execute(uri: "/v1/admin/packs/\(id)/export" + (layout.map { "?layout=\($0)" } ?? ""), method: .get, headers: .admin())
    }

    /// The archive's files by name.
    static func unzip(_ response: TestResponse) throws -> [String: [UInt8]] {
        let archive = try ZipArchive(bytes: Array(response.body.readableBytesView))
        var files: [String: [UInt8]] = [:]
        for entry in archive.entries { files[entry.name] = try archive.contents(of: entry) }
        return files
    }

    @Test func aPackWhatsAppTakesIsExportedInItsLayout() async throws {
        try await TestService.run { client, _ in
            let sticker = ImageFactory.webpLossless(width: 512, height: 512)
            let manifest = #"{"id":"wa-ready","title":{"en":"Ready","fr":"Prêt"},"publisher":"Acme","tray":"tray.png","status":"published","stickers":[{"id":"wa-1","file":"a.webp","emojis":["😀","😃"],"label":"grin"},{"id":"wa-2","file":"b.webp","emojis":["🙂"]},{"id":"wa-3","file":"c.webp","emojis":["😎"]}]}"#
            #expect(try await Self.upload(client, manifest, [("tray.png", PackUploads.tray), ("a.webp", sticker), ("b.webp", sticker), ("c.webp", sticker)]).status == .created)
            let response = try await Self.export(client, "wa-ready", "whatsapp")
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.headers[.contentType] == "application/zip")
            #expect(response.headers[.contentDisposition] == #"attachment; filename="wa-ready-whatsapp.zip""#)
            let files = try Self.unzip(response)
            #expect(Set(files.keys) == ["contents.json", "wa-ready/tray.png", "wa-ready/01.webp", "wa-ready/02.webp", "wa-ready/03.webp"])
            #expect(files["wa-ready/tray.png"] == PackUploads.tray)
            #expect(files["wa-ready/02.webp"] == sticker)
            let contents = try JSONParser.parse(try #require(files["contents.json"]))
            guard case .array(let packs)? = contents["sticker_packs"], let pack = packs.first else { Issue.record("\(contents)"); return }
            #expect(pack["identifier"] == .string("wa-ready"))
            #expect(pack["name"] == .string("Ready"))
            #expect(pack["publisher"] == .string("Acme"))
            #expect(pack["tray_image_file"] == .string("tray.png"))
            #expect(pack["animated_sticker_pack"] == .bool(false))
            guard case .array(let stickers)? = pack["stickers"] else { Issue.record("\(pack)"); return }
            #expect(stickers.map { $0["image_file"] } == [.string("01.webp"), .string("02.webp"), .string("03.webp")])
            #expect(stickers[0]["emojis"] == .array([.string("😀"), .string("😃")]))
            #expect(stickers[0]["accessibility_text"] == .string("grin"))
            // The same pack twice: the same bytes (no clock in the archive).
            #expect(try await Self.export(client, "wa-ready", "whatsapp").body == response.body)
        }
    }

    @Test func uploadsAndImportsAskingForAProfileAreRefusedEarlyByItsRules() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { client, _ in
            func post(_ path: String, _ manifest: String, _ files: [(String, [UInt8])]) async throws -> TestResponse {
                let body = PackUploads.multipart(manifest: manifest, files: files)
                return try await client.execute(uri: path, method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished))
            }
            let before = try await TestService.counts(database)
            // Two 64 px PNG stickers: fine for the service, not for WhatsApp (3–30 stickers, 512×512 WebP).
            let small = PackUploads.manifest(id: "small", count: 2)
            let refused = try await post("/v1/admin/packs?profile=whatsapp", small, PackUploads.standardFiles(count: 2))
            #expect(refused.status == .unprocessableContent)
            #expect(refused.headers[.contentType] == "application/problem+json")
            #expect(refused.text.contains("WhatsApp's rules") && refused.text.contains("Nothing was stored"), "\(refused.text)")
            #expect(refused.text.contains("has 2 stickers") && refused.text.contains("small-s0 is image/png") && refused.text.contains("small-s1 is 65×64"), "\(refused.text)")
            let telegram = try await post("/v1/admin/packs?profile=telegram", small, PackUploads.standardFiles(count: 2))
            #expect(telegram.status == .unprocessableContent && telegram.text.contains("Telegram's rules"), "\(telegram.text)")
            let unknown = try await post("/v1/admin/packs?profile=signal", small, PackUploads.standardFiles(count: 2))
            #expect(unknown.status == .badRequest && unknown.text.contains("profile"), "\(unknown.text)")
            #expect(try await TestService.counts(database) == before, "nothing stored")

            // A pack WhatsApp takes passes its profile, and Telegram's; PUT asks the same way.
            let sticker = ImageFactory.webpLossless(width: 512, height: 512)
            let ready = #"{"id":"ready","title":{"en":"Ready"},"publisher":"Acme","tray":"tray.png","status":"published","stickers":[{"id":"ready-1","file":"a.webp","emojis":["😀"]},{"id":"ready-2","file":"b.webp","emojis":["🙂"]},{"id":"ready-3","file":"c.webp","emojis":["😎"]}]}"#
            let files = [("tray.png", PackUploads.tray), ("a.webp", sticker), ("b.webp", sticker), ("c.webp", sticker)]
            #expect(try await post("/v1/admin/packs?profile=whatsapp", ready, files).status == .created)
            let put = PackUploads.multipart(manifest: ready, files: files)
            let replaced = try await client.execute(
                uri: "/v1/admin/packs/ready?profile=telegram", method: .put, headers: .admin([.contentType: put.contentType, .ifMatch: "*"]), body: ByteBuffer(bytes: put.finished)
            )
            #expect(replaced.status == .ok, "\(replaced.text)")

            // An import with a profile refuses the packs that break it and creates the others.
            let contents = #"{"sticker_packs":[{"identifier":"fits","name":"Fits","publisher":"Acme","tray_image_file":"tray.png","stickers":[{"image_file":"1.webp","emojis":["😀"]},{"image_file":"2.webp","emojis":["😀"]},{"image_file":"3.webp","emojis":["😀"]}]},{"identifier":"short","name":"Short","publisher":"Acme","tray_image_file":"tray.png","stickers":[{"image_file":"1.webp","emojis":["😀"]}]}]}"#
            var entries: [(String, [UInt8])] = [("contents.json", Array(contents.utf8)), ("fits/tray.png", PackUploads.tray), ("short/tray.png", PackUploads.tray), ("short/1.webp", sticker)]
            for n in 1...3 { entries.append(("fits/\(n).webp", sticker)) }
            let imported = try await client.execute(
                uri: "/v1/admin/imports?profile=whatsapp", method: .post, headers: .admin([.contentType: "application/zip"]), body: ByteBuffer(bytes: ImportTests.zip(entries))
            )
            #expect(imported.status == .ok, "\(imported.text)")
            #expect(imported.text.contains(#""created":1"#) && imported.text.contains(#""refused":1"#), "\(imported.text)")
            #expect(imported.text.contains("has 1 stickers; a WhatsApp pack has 3–30"), "\(imported.text)")
        }
    }

    @Test func whatWhatsAppWouldRefuseIsListedPerSticker() async throws {
        try await TestService.run { client, _ in
            #expect(try await PackUploads.create(client, id: "too-few").status == .created)
            let response = try await Self.export(client, "too-few", "whatsapp")
            #expect(response.status == .unprocessableContent)
            #expect(response.headers[.contentType] == "application/problem+json")
            let text = response.text
            #expect(text.contains("has 2 stickers; a WhatsApp pack has 3–30"))
            #expect(text.contains(#""field":"stickers[0]","message":"too-few-s0 is image/png; WhatsApp stickers are WebP""#), "\(text)")
            #expect(text.contains("too-few-s1 is 65×64; WhatsApp stickers are 512×512"))
            // Telegram: PNG is fine there, but one side must be 512 px.
            let telegram = try await Self.export(client, "too-few", "telegram")
            #expect(telegram.status == .unprocessableContent)
            #expect(telegram.text.contains("too-few-s0 is 64×64; one side of a Telegram sticker is 512 px"))
        }
    }

    @Test func telegramSetsCarryEachStickersFormat() async throws {
        try await TestService.run { client, _ in
            let manifest = #"{"id":"tg-set","title":{"en":"Motion"},"publisher":"Acme","tray":"tray.png","status":"published","stickers":[{"id":"tg-wave","file":"wave.tgs","emojis":["👋","🙋"],"keywords":["hello"]},{"id":"tg-run","file":"run.webm","emojis":["🏃"]},{"id":"tg-still","file":"still.webp","emojis":["🙂"]}]}"#
            let created = try await Self.upload(client, manifest, [
                ("tray.png", PackUploads.tray), ("wave.tgs", AnimationFactory.tgs()), ("run.webm", AnimationFactory.webm()),
                ("still.webp", ImageFactory.webpLossless(width: 512, height: 320)),
            ])
            #expect(created.status == .created, "\(created.text)")
            let response = try await Self.export(client, "tg-set", "telegram")
            #expect(response.status == .ok, "\(response.text)")
            let files = try Self.unzip(response)
            #expect(Set(files.keys) == ["set.json", "thumbnail.png", "01.tgs", "02.webm", "03.webp"])
            #expect(files["01.tgs"] == AnimationFactory.tgs())
            let set = try JSONParser.parse(try #require(files["set.json"]))
            #expect(set["name"] == .string("tg_set"))
            #expect(set["title"] == .string("Motion"))
            guard case .array(let stickers)? = set["stickers"] else { Issue.record("\(set)"); return }
            #expect(stickers.map { $0["format"] } == [.string("animated"), .string("video"), .string("static")])
            #expect(stickers[0]["emoji"] == .string("👋"))
            #expect(stickers[0]["emoji_list"] == .array([.string("👋"), .string("🙋")]))
            #expect(stickers[0]["keywords"] == .array([.string("hello")]))
            #expect(stickers[1]["is_video"] == .bool(true))
            // WhatsApp takes none of TGS, WebM, or a 512×320 sticker.
            let whatsapp = try await Self.export(client, "tg-set", "whatsapp")
            #expect(whatsapp.status == .unprocessableContent)
            #expect(whatsapp.text.contains("tg-wave is application/x-tgsticker; WhatsApp stickers are WebP"))
            #expect(whatsapp.text.contains("tg-still is 512×320"))
        }
    }

    @Test func badRequestsAreNamed() async throws {
        try await TestService.run { client, _ in
            #expect(try await PackUploads.create(client, id: "asked").status == .created)
            let missing = try await Self.export(client, "asked", nil)
            #expect(missing.status == .badRequest)
            #expect(missing.text.contains(#""field":"layout","message":"is required""#))
            #expect(try await Self.export(client, "asked", "signal").text.contains("is not whatsapp or telegram"))
            #expect(try await Self.export(client, "nobody", "telegram").status == .notFound)
            let anonymous = try await client.execute(uri: "/v1/admin/packs/asked/export?layout=telegram", method: .get)
            #expect(anonymous.status == .unauthorized)
        }
    }
}
