import CatalogAPI
import CatalogTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The whole-service fuzz target's seed corpus (`Fuzz/Corpus/FuzzService`) comes from here: a request of every route
/// family with the right token, built with the suite's own factories, and every hostile request of the bad-input
/// corpus — each as the raw bytes a client sends. The test sends them all to a live service over sockets and checks
/// what the fuzz target checks: no 5xx, every 4xx problem+json, the service still answering. With
/// `CATALOG_FUZZ_CORPUS_OUT=<dir>` it also writes them there:
/// `CATALOG_FUZZ_CORPUS_OUT=$PWD/Fuzz/Corpus/FuzzService scripts/test --filter FuzzCorpusTests` refreshes the corpus.
@Suite("The fuzz corpus: every route family as raw requests, answered without a 5xx")
struct FuzzCorpusTests {
    enum Expectation { case success, refusal }

    struct Seed {
        var name: String
        var bytes: [UInt8]
        var expect: Expectation
    }

    static func raw(_ method: String, _ uri: String, _ fields: [(String, String)] = [], body: [UInt8] = []) -> [UInt8] {
        var head = "\(method) \(uri) HTTP/1.1\r\nHost: catalog.example.com\r\n"
        for (name, value) in fields { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) { head += "Content-Length: \(body.count)\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    static func raw(_ input: BadInput) -> [UInt8] {
        raw(input.method.rawValue, input.uri, input.headers.filter { $0.name != .contentLength }.map { ($0.name.rawName, $0.value) }, body: input.body)
    }

    static let admin = ("Authorization", "Bearer \(TestService.adminToken)")
    static let gateway = ("Authorization", "Bearer \(TestService.gatewayToken)")
    static let json = ("Content-Type", "application/json")

    /// Requests a client, an admin, the gateway and OpenIM send, in an order where each can succeed.
    static func routeFamilies(stickerContent: String) -> [Seed] {
        let upload = PackUploads.multipart(manifest: PackUploads.manifest(id: "fz", count: 2), files: PackUploads.standardFiles(count: 2))
        let replacement = PackUploads.multipart(manifest: PackUploads.manifest(id: "fz", count: 1), files: PackUploads.standardFiles(count: 1, offset: 5))
        let zip = ZipFactory.archive(
            [ZipFactory.Entry(name: "manifest.json", bytes: Array(PackUploads.manifest(id: "fzip", count: 1).utf8))]
                + PackUploads.standardFiles(count: 1, offset: 9).map { ZipFactory.Entry(name: $0.0, bytes: $0.1) }
        )
        let wastickers = ZipFactory.archive([
            ZipFactory.Entry(name: "title.txt", bytes: Array("Fuzzed Faces".utf8)), ZipFactory.Entry(name: "author.txt", bytes: Array("Acme".utf8)),
            ZipFactory.Entry(name: "tray.png", bytes: PackUploads.tray), ZipFactory.Entry(name: "1.webp", bytes: ImageFactory.webpLossless(width: 512, height: 512)),
        ])
        let set = #"{"name":"fz_set","title":"Fuzzed","stickers":[{"file":"1.tgs","format":"animated","emoji_list":["👋"],"keywords":["hi"]},{"file":"2.webm","format":"video","emoji":"🏃"}],"thumbnail":{"file":"thumb.png"}}"#
        let telegramSet = ZipFactory.archive([
            ZipFactory.Entry(name: "set.json", bytes: Array(set.utf8)), ZipFactory.Entry(name: "thumb.png", bytes: PackUploads.tray),
            ZipFactory.Entry(name: "1.tgs", bytes: AnimationFactory.tgs()), ZipFactory.Entry(name: "2.webm", bytes: AnimationFactory.webm()),
        ])
        var sticker = MultipartBody()
        sticker.add(name: "sticker", contentType: "application/json", Array(#"{"id":"fz-new","file":"new.png","emojis":["🎉"]}"#.utf8))
        sticker.addFile("new.png", PackUploads.image(77))
        let gifConfig = #"{"provider":"klipy","enabled":true,"apiBase":"https://api.klipy.com/api/v1","clientKey":"PUBLIC","rating":"pg-13","allowedHosts":["static.klipy.com"],"featured":[{"term":"thanks","label":{"en":"Thanks"}}]}"#
        let media = #"{"ownerUserId":"u1001","kind":"image","mime":"image/jpeg","size":204800,"sha256":"\#(String(repeating: "ab", count: 32))","url":"https://minio.example.com/openim/p.jpg","objectKey":"openim/p.jpg","width":1024,"height":768}"#
        let resolve = #"{"format":"custom","items":[{"kind":"sticker","id":"blob-happy"},{"kind":"gif","provider":"klipy","id":"1","url":"https://static.klipy.com/ii/a/1.gif","width":320,"height":200}]}"#
        let sendMsg = #"{"sendID":"u1001","groupID":"g42","sessionType":3,"senderPlatformID":1,"senderNickname":"Alice","item":{"kind":"sticker","id":"blob-happy"}}"#
        let hook = "/v1/openim/callbacks/\(TestService.webhookSecret)"
        func seed(_ name: String, _ bytes: [UInt8]) -> Seed { Seed(name: name, bytes: bytes, expect: .success) }
        return [
            seed("catalog", raw("GET", "/v1/catalog", [("Accept-Encoding", "gzip")])),
            seed("catalog-head", raw("HEAD", "/v1/catalog", [("If-None-Match", "\"x\", W/\"y\"")])),
            seed("catalog-okhttp", raw("GET", "/v1/catalog", [("Connection", "Keep-Alive"), ("Accept-Encoding", "gzip"), ("User-Agent", "okhttp/4.12.0")])),
            seed("pack", raw("GET", "/v1/catalog/packs/blobs")),
            seed("changes", raw("GET", "/v1/catalog/changes?since=0")),
            seed("search", raw("GET", "/v1/catalog/search?q=happy%20%F0%9F%98%80&locale=zh-Hans&limit=5", [("Accept-Encoding", "gzip")])),
            seed("stickers-for-emoji", raw("GET", "/v1/catalog/stickers-for-emoji?emoji=%F0%9F%98%80&limit=3")),
            seed("emoji-index", raw("GET", "/v1/catalog/emoji-index", [("Accept-Encoding", "gzip")])),
            seed("library", raw("GET", "/v1/users/u1001/library", [gateway])),
            seed("library-favorite", raw("POST", "/v1/users/u1001/library/favorites/blob-happy", [gateway])),
            seed("library-put", raw("PUT", "/v1/users/u1001/library/installed", [gateway, json, ("If-Match", "*")], body: Array(#"{"items":["blobs",{"id":"weather","available":true}]}"#.utf8))),
            seed("library-move", raw("PUT", "/v1/users/u1001/library/installed/weather/position?position=0", [gateway])),
            seed("library-export", raw("GET", "/v1/users/u1001/library/export", [gateway])),
            seed("gif-config", raw("GET", "/v1/gif-config")),
            seed("healthz", raw("GET", "/healthz")),
            seed("readyz", raw("GET", "/readyz")),
            seed("metrics", raw("GET", "/metrics")),
            seed("resolve", raw("POST", "/v1/resolve", [gateway, json], body: Array(resolve.utf8))),
            seed("send-msg", raw("POST", "/v1/openim/send-msg", [gateway, json], body: Array(sendMsg.utf8))),
            seed("media", raw("POST", "/v1/media", [gateway, json], body: Array(media.utf8))),
            seed("upload-multipart", raw("POST", "/v1/admin/packs", [admin, ("Content-Type", upload.contentType)], body: upload.finished)),
            seed("upload-zip", raw("POST", "/v1/admin/packs", [admin, ("Content-Type", "application/zip")], body: zip)),
            seed("pack-admin", raw("GET", "/v1/admin/packs/fz", [admin])),
            seed("import-wastickers", raw("POST", "/v1/admin/imports", [admin, ("Content-Type", "application/zip")], body: wastickers)),
            seed("import-telegram", raw("POST", "/v1/admin/imports?status=published", [admin, ("Content-Type", "application/zip")], body: telegramSet)),
            seed("export-telegram", raw("GET", "/v1/admin/packs/blobs/export?layout=telegram", [admin])),
            seed("pack-replace", raw("PUT", "/v1/admin/packs/fz", [admin, ("If-Match", "\"r1\""), ("Content-Type", replacement.contentType)], body: replacement.finished)),
            seed("pack-patch", raw("PATCH", "/v1/admin/packs/fz", [admin, ("Content-Type", "application/merge-patch+json")], body: Array(#"{"title":{"fr":"Chats"},"tags":["a"]}"#.utf8))),
            seed("sticker-add", raw("POST", "/v1/admin/packs/fz/stickers", [admin, ("Content-Type", sticker.contentType)], body: sticker.finished)),
            seed("sticker-order", raw("PUT", "/v1/admin/packs/fz/stickers/order", [admin, json], body: Array(#"["fz-new","fz-s0"]"#.utf8))),
            seed("sticker-delete", raw("DELETE", "/v1/admin/packs/fz/stickers/fz-new", [admin])),
            seed("packs-order", raw("PUT", "/v1/admin/packs/order", [admin, json], body: Array(#"["fz","blobs"]"#.utf8))),
            seed("packs-list", raw("GET", "/v1/admin/packs?limit=2", [admin])),
            seed("gif-config-put", raw("PUT", "/v1/admin/gif-config", [admin, json], body: Array(gifConfig.utf8))),
            seed("media-list", raw("GET", "/v1/admin/media?ownerUserId=u1001&kind=image&limit=5", [admin])),
            seed("media-stats", raw("GET", "/v1/admin/media/stats?from=2026-11-01&to=2026-11-30", [admin])),
            seed("sticker-stats", raw("GET", "/v1/admin/stats/stickers?from=2026-11-01&to=2026-11-30", [admin])),
            seed("audit", raw("GET", "/v1/admin/audit?limit=5", [admin])),
            seed("preview", raw("GET", "/admin/preview", [admin])),
            seed("login", raw("POST", "/admin/login", [("Content-Type", "application/x-www-form-urlencoded")], body: Array("token=\(TestService.adminToken)".utf8))),
            seed("webhook-before-group", raw("POST", "\(hook)/callbackBeforeSendGroupMsgCommand", [json], body: Array(WebhookTests.callback("callbackBeforeSendGroupMsgCommand", contentType: 110, content: stickerContent).utf8))),
            seed("webhook-before-single", raw("POST", "\(hook)/callbackBeforeSendSingleMsgCommand", [json], body: Array(WebhookTests.callback("callbackBeforeSendSingleMsgCommand", contentType: 101, content: #"{"content":"hi"}"#, group: false).utf8))),
            seed("webhook-modify", raw("POST", "\(hook)/callbackMsgModifyCommand", [json], body: Array(WebhookTests.callback("callbackMsgModifyCommand", contentType: 110, content: stickerContent).utf8))),
            seed("webhook-after", raw("POST", "\(hook)/callbackAfterSendGroupMsgCommand", [json], body: Array(WebhookTests.callback("callbackAfterSendGroupMsgCommand", contentType: 110, content: stickerContent).utf8))),
            seed("pack-archive", raw("DELETE", "/v1/admin/packs/fz", [admin])),
        ]
    }

    @Test func everySeedIsAnsweredWithoutAServerError() async throws {
        // The fuzz target's short idle timeout: a seed whose body is shorter than its Content-Length is ended by it
        // rather than by the raw client's 120 s. (The suite's client reconnects when the service has closed its
        // connection while it sat idle during the seed load.)
        try await TestService.runLive(idleTimeout: .seconds(2)) { port, client, components in
            _ = try await SeedLoader(repository: components.packs).load(directory: URL(fileURLWithPath: #filePath).appendingPathComponent("../../../Seed").standardized)
            #expect(await components.snapshots.waitForVersion(try await components.packs.catalogVersion()))
            let content = try await WebhookTests.stickerContent(client, "blob-happy")
            #expect(!content.isEmpty)
            // Bodies over the fuzzer's 256 KiB input limit stay in BadInputCorpusTests only.
            let hostile = BadInputCorpusTests.corpus.map { Seed(name: "bad-" + $0.name, bytes: Self.raw($0), expect: .refusal) }
                .filter { $0.bytes.count <= 262_144 }
            let seeds = Self.routeFamilies(stickerContent: content) + hostile
            // As the fuzz target sends them: each on a connection of its own, followed by a `Connection: close` probe.
            let probe = Array("GET /healthz HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n\r\n".utf8)
            for seed in seeds {
                let answer = try await RawHTTP.exchange(port: port, seed.bytes + probe)
                let statusLine = answer.prefix(while: { $0 != "\r" })
                let status = Int(statusLine.dropFirst(9).prefix(3)) ?? 0
                switch seed.expect {
                case .success: #expect((200..<400).contains(status), "\(seed.name): \(statusLine)\n\(answer.suffix(300))")
                case .refusal:
                    #expect((400..<500).contains(status), "\(seed.name): \(statusLine)")
                    #expect(answer.lowercased().contains("content-type: application/problem+json"), "\(seed.name): \(answer.prefix(300))")
                }
            }
            #expect(try await RawHTTP.get(port: port, "/healthz").hasPrefix("HTTP/1.1 200"))
            if let directory = ProcessInfo.processInfo.environment["CATALOG_FUZZ_CORPUS_OUT"] {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                for seed in seeds {
                    let name = seed.name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
                    try Data(seed.bytes).write(to: URL(fileURLWithPath: directory).appendingPathComponent(String(name)))
                }
            }
        }
    }
}
