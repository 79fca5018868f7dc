import CatalogAPI
import CatalogTestSupport
import CatalogCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

@Suite("Gateway resolution: references to OpenIM bodies, per-item errors, complete send_msg bodies")
struct ResolveTests {
    static func post(_ client: any TestClientProtocol, _ uri: String, _ body: String, token: String = TestService.gatewayToken) async throws -> TestResponse {
        try await client.execute(
            uri: uri, method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: ByteBuffer(string: body)
        )
    }

    /// Publishes pack `pk` (stickers pk-s0, pk-s1), archives pack `old` and drafts pack `wip`; returns the catalog
    /// version and the URL and size of pk-s0 as the public catalog lists them.
    static func seed(_ client: any TestClientProtocol, _ components: CatalogServiceComponents) async throws -> (Int64, String, Int64) {
        _ = try await CatalogTests.publish(client, components, id: "pk")
        _ = try await CatalogTests.publish(client, components, id: "wip", status: "draft", offset: 10)
        _ = try await CatalogTests.publish(client, components, id: "old", offset: 20)
        let archived = try await client.execute(uri: "/v1/admin/packs/old", method: .delete, headers: .admin())
        let version = try #require(archived.catalogVersion)
        #expect(await components.snapshots.waitForVersion(version))
        let catalog = try await client.execute(uri: "/v1/catalog", method: .get)
        guard case .array(let packs)? = catalog.json["packs"], case .array(let stickers)? = packs.first?["stickers"],
              case .string(let url)? = stickers.first?["url"], case .integer(let width)? = stickers.first?["width"] else {
            Issue.record("the catalog has no sticker: \(catalog.text)")
            return (version, "", 0)
        }
        return (version, url, width)
    }

    @Test func eachFormatMatchesItsGoldenVector() async throws {
        try await TestService.run { client, components in
            let (version, url, width) = try await Self.seed(client, components)
            func resolve(_ format: String) async throws -> JSONValue {
                let response = try await Self.post(client, "/v1/resolve", #"{"format":"\#(format)","items":[{"kind":"sticker","id":"pk-s0"}]}"#)
                #expect(response.status == .ok, "\(response.text)")
                #expect(response.json["catalogVersion"] == .integer(version))
                guard case .array(let items)? = response.json["items"], let first = items.first else { return .null }
                return first
            }
            // Hand-written: the payload keys in order, escaped once inside `data`.
            let payload = #"{\"animated\":false,\"emoji\":\"😀\",\"height\":64,\"mime\":\"image/png\",\"packId\":\"pk\",\"stickerId\":\"pk-s0\",\"type\":\"sticker\",\"url\":\"\#(url)\",\"v\":1,\"width\":\#(width)}"#
            #expect(try await resolve("custom") == (try JSONParser.parse(
                #"{"contentType":110,"content":{"data":"\#(payload)","description":"[Sticker] 😀","extension":"{\"catalogVersion\":\#(version)}"}}"#
            )))
            let info = #"{"height":64,"size":0,"type":"image/png","url":"\#(url)","uuid":"sticker-pk-s0","width":\#(width)}"#
            let picture = #"{"contentType":102,"content":{"bigPicture":\#(info),"snapshotPicture":\#(info),"sourcePath":"","sourcePicture":\#(info)}}"#
            #expect(try await resolve("picture") == (try JSONParser.parse(picture)))
            #expect(try await resolve("native") == (try JSONParser.parse(picture)))
            #expect(try await resolve("face") == (try JSONParser.parse(
                #"{"contentType":115,"content":{"data":"{\"height\":64,\"url\":\"\#(url)\",\"width\":\#(width)}","index":-1}}"#
            )))
        }
    }

    @Test func aBatchKeepsOrderAndFailsItemByItem() async throws {
        try await TestService.run { client, components in
            _ = try await Self.seed(client, components)
            let gifConfig = try await GIFConfigTests.put(client, GIFConfigTests.document)
            #expect(await components.snapshots.waitForVersion(try #require(gifConfig.catalogVersion)))
            let media = try await MediaTests.register(client, MediaTests.image())
            let mediaId = try #require(media.json["id"].flatMap { if case .string(let s) = $0 { s } else { nil } })
            let gone = try await MediaTests.register(client, MediaTests.image(n: 2))
            let goneId = try #require(gone.json["id"].flatMap { if case .string(let s) = $0 { s } else { nil } })
            _ = try await client.execute(uri: "/v1/media/\(goneId)", method: .delete, headers: MediaTests.gateway())

            let gif = #"{"kind":"gif","provider":"klipy","id":"123","url":"https://static.klipy.com/ii/abc/123.gif","width":320,"height":200}"#
            let items = [
                #"{"kind":"sticker","id":"pk-s1"}"#, #"{"kind":"sticker","id":"nope"}"#, #"{"kind":"sticker","id":"old-s0"}"#,
                #"{"kind":"sticker","id":"wip-s0"}"#, gif, gif.replacingOccurrences(of: "static.klipy.com", with: "evil.example"),
                #"{"kind":"media","id":"\#(mediaId)"}"#, #"{"kind":"media","id":"\#(goneId)"}"#, #"{"kind":"media","id":"\#(UUID().uuidString)"}"#,
                #"{"kind":"emoji","id":"x"}"#, #"{"kind":"sticker","id":"pk-s0","extra":true}"#,
            ]
            let response = try await Self.post(client, "/v1/resolve", #"{"items":[\#(items.joined(separator: ","))]}"#)
            #expect(response.status == .ok, "\(response.text)")
            guard case .array(let results)? = response.json["items"] else { Issue.record("no items"); return }
            #expect(results.count == items.count)
            func status(_ index: Int) -> Int64? {
                if case .integer(let code)? = results[index]["error"]?["status"] { return code }
                return nil
            }
            let expected: [Int64?] = [nil, 404, 410, 410, nil, 422, nil, 410, 404, 422, 422]
            #expect((0..<results.count).map(status) == expected)
            #expect(results[0]["contentType"] == .integer(110))
            #expect(results[4]["contentType"] == .integer(110))
            #expect(results[6]["contentType"] == .integer(110))
            // The refused GIF names its field.
            #expect(results[5]["error"]?["errors"].map { "\($0)" }?.contains("items[5].url") == true)
        }
    }

    @Test func mediaResolvesNativelyAndGIFsAsPictures() async throws {
        try await TestService.run { client, components in
            let gifConfig = try await GIFConfigTests.put(client, GIFConfigTests.document)
            #expect(await components.snapshots.waitForVersion(try #require(gifConfig.catalogVersion)))
            let video = #"{"ownerUserId":"u1","kind":"video","mime":"video/mp4","size":5242880,"sha256":"\#(MediaTests.sha(9))","url":"https://minio.example.com/openim/clip.mp4","objectKey":"openim/clip.mp4","width":1920,"height":1080,"durationMs":12500,"snapshotUrl":"https://minio.example.com/openim/clip.jpg","snapshotWidth":640,"snapshotHeight":360}"#
            let registered = try await MediaTests.register(client, video)
            let id = try #require(registered.json["id"].flatMap { if case .string(let s) = $0 { s } else { nil } })
            let native = try await Self.post(client, "/v1/resolve", #"{"format":"native","items":[{"kind":"media","id":"\#(id)"}]}"#)
            #expect(native.json["items"] == (try JSONParser.parse(#"""
            [{"contentType":104,"content":{"duration":13,"snapshotHeight":360,"snapshotPath":"","snapshotSize":0,"snapshotType":"image/jpeg","snapshotUUID":"\#(id)-snapshot","snapshotUrl":"https://minio.example.com/openim/clip.jpg","snapshotWidth":640,"videoPath":"","videoSize":5242880,"videoType":"video/mp4","videoUUID":"\#(id)","videoUrl":"https://minio.example.com/openim/clip.mp4"}}]
            """#)))
            // A video cannot be a picture.
            let picture = try await Self.post(client, "/v1/resolve", #"{"format":"picture","items":[{"kind":"media","id":"\#(id)"}]}"#)
            guard case .array(let pictureItems)? = picture.json["items"] else { Issue.record("no items"); return }
            #expect(pictureItems.first?["error"]?["status"] == .integer(422))

            let gif = try await Self.post(client, "/v1/resolve", #"{"format":"picture","items":[{"kind":"gif","provider":"klipy","id":"123","url":"https://static.klipy.com/ii/abc/123.gif","previewUrl":"https://static.klipy.com/ii/abc/123-tiny.gif","width":320,"height":200}]}"#)
            let info = #"{"height":200,"size":0,"type":"image/gif","url":"https://static.klipy.com/ii/abc/123.gif","uuid":"klipy-123","width":320}"#
            let snapshot = info.replacingOccurrences(of: "123.gif", with: "123-tiny.gif")
            #expect(gif.json["items"] == (try JSONParser.parse(#"[{"contentType":102,"content":{"bigPicture":\#(info),"snapshotPicture":\#(snapshot),"sourcePath":"","sourcePicture":\#(info)}}]"#)))
        }
    }

    @Test func gifsAndImagesInEveryFormMatchTheirGoldenVectors() async throws {
        try await TestService.run { client, components in
            let gifConfig = try await GIFConfigTests.put(client, GIFConfigTests.document)
            let version = try #require(gifConfig.catalogVersion)
            #expect(await components.snapshots.waitForVersion(version))
            let registered = try await MediaTests.register(client, MediaTests.image())
            let id = try #require(registered.json["id"].flatMap { if case .string(let s) = $0 { s } else { nil } })
            func resolve(_ format: String, _ item: String) async throws -> JSONValue {
                let response = try await Self.post(client, "/v1/resolve", #"{"format":"\#(format)","items":[\#(item)]}"#)
                guard case .array(let items)? = response.json["items"], let first = items.first else { return .null }
                return first
            }
            let gif = #"{"kind":"gif","provider":"klipy","id":"123","url":"https://static.klipy.com/ii/abc/123.gif","mp4Url":"https://static.klipy.com/ii/abc/123.mp4","width":320,"height":200}"#
            #expect(try await resolve("custom", gif) == (try JSONParser.parse(
                #"{"contentType":110,"content":{"data":"{\"height\":200,\"mp4Url\":\"https://static.klipy.com/ii/abc/123.mp4\",\"provider\":\"klipy\",\"providerId\":\"123\",\"type\":\"gif\",\"url\":\"https://static.klipy.com/ii/abc/123.gif\",\"v\":1,\"width\":320}","description":"[GIF]","extension":"{\"catalogVersion\":\#(version)}"}}"#
            )))
            #expect(try await resolve("face", gif) == (try JSONParser.parse(
                #"{"contentType":115,"content":{"data":"{\"height\":200,\"url\":\"https://static.klipy.com/ii/abc/123.gif\",\"width\":320}","index":-1}}"#
            )))
            let media = #"{"kind":"media","id":"\#(id)"}"#
            let url = "https://minio.example.com/openim/1.png"
            #expect(try await resolve("custom", media) == (try JSONParser.parse(
                #"{"contentType":110,"content":{"data":"{\"height\":480,\"kind\":\"image\",\"mediaId\":\"\#(id)\",\"mime\":\"image/png\",\"size\":1001,\"type\":\"media\",\"url\":\"\#(url)\",\"v\":1,\"width\":640}","description":"[Photo]","extension":"{\"catalogVersion\":\#(version)}"}}"#
            )))
            let info = #"{"height":480,"size":1001,"type":"image/png","url":"\#(url)","uuid":"\#(id)","width":640}"#
            let picture = try JSONParser.parse(#"{"contentType":102,"content":{"bigPicture":\#(info),"snapshotPicture":\#(info),"sourcePath":"","sourcePicture":\#(info)}}"#)
            #expect(try await resolve("picture", media) == picture)
            #expect(try await resolve("native", media) == picture)
            #expect(try await resolve("face", media) == (try JSONParser.parse(
                #"{"contentType":115,"content":{"data":"{\"height\":480,\"url\":\"\#(url)\",\"width\":640}","index":-1}}"#
            )))
        }
    }

    @Test func requestsAreCheckedAndAuthenticated() async throws {
        try await TestService.run { client, _ in
            let noToken = try await client.execute(uri: "/v1/resolve", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: #"{"items":[]}"#))
            #expect(noToken.status == .unauthorized)
            #expect(try await Self.post(client, "/v1/resolve", #"{"items":[{"kind":"sticker","id":"a1"}]}"#, token: TestService.adminToken).status == .forbidden)
            #expect(try await Self.post(client, "/v1/resolve", #"{"items":[{"kind":"sticker","id":"a1"}]}"#, token: "wrong-token-000000000000").status == .unauthorized)
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"items":[]}"#, .unprocessableContent, "items"),
                (#"{"items":[\#(Array(repeating: #"{"kind":"sticker","id":"a1"}"#, count: 101).joined(separator: ","))]}"#, .unprocessableContent, "items"),
                (#"{"items":[{"kind":"sticker","id":"a1"}],"format":"video"}"#, .unprocessableContent, "format"),
                (#"{"items":[{"kind":"sticker","id":"a1"}],"colour":1}"#, .unprocessableContent, "colour"),
                (#"{"items":"#, .badRequest, "body"),
                (#"[1]"#, .badRequest, "body"),
            ]
            for (body, status, field) in cases {
                let response = try await Self.post(client, "/v1/resolve", body)
                #expect(response.status == status, "\(body.prefix(80)): \(response.text)")
                #expect(response.text.contains(#""field":"\#(field)""#), "\(response.text)")
            }
        }
    }

    @Test func sendMsgBuildsTheWholeBody() async throws {
        try await TestService.run { client, components in
            let (version, url, width) = try await Self.seed(client, components)
            let group = try await Self.post(client, "/v1/openim/send-msg", #"{"sendID":"u1001","groupID":"g42","sessionType":3,"senderPlatformID":1,"senderNickname":"Alice","item":{"kind":"sticker","id":"pk-s0"}}"#)
            #expect(group.status == .ok, "\(group.text)")
            let payload = #"{\"animated\":false,\"emoji\":\"😀\",\"height\":64,\"mime\":\"image/png\",\"packId\":\"pk\",\"stickerId\":\"pk-s0\",\"type\":\"sticker\",\"url\":\"\#(url)\",\"v\":1,\"width\":\#(width)}"#
            #expect(group.text == #"{"content":{"data":"\#(payload)","description":"[Sticker] 😀","extension":"{\"catalogVersion\":\#(version)}"},"contentType":110,"ex":"","groupID":"g42","isOnlineOnly":false,"notOfflinePush":false,"offlinePushInfo":{"desc":"[Sticker] 😀","ex":"","iOSBadgeCount":true,"iOSPushSound":"default","title":"Alice"},"sendID":"u1001","senderNickname":"Alice","senderPlatformID":1,"sessionType":3}"#)
            // What we build passes OpenIM's send_msg rules.
            try SendMsgRequest.validate(json: group.json)

            let single = try await Self.post(client, "/v1/openim/send-msg", #"{"sendID":"u1","recvID":"u2","sessionType":1,"senderPlatformID":5,"format":"picture","locale":"zh-Hans","item":{"kind":"sticker","id":"pk-s1"}}"#)
            #expect(single.status == .ok, "\(single.text)")
            #expect(single.json["recvID"] == .string("u2"))
            #expect(single.json["groupID"] == nil)
            #expect(single.json["contentType"] == .integer(102))
            #expect(single.json["offlinePushInfo"]?["desc"] == .string(FallbackText.simplifiedChinese.photo))

            let face = try await Self.post(client, "/v1/openim/send-msg", #"{"sendID":"u1","recvID":"u2","sessionType":1,"senderPlatformID":1,"format":"face","item":{"kind":"sticker","id":"pk-s0"}}"#)
            #expect(face.status == .unprocessableContent)
            #expect(face.text.contains("115"))
            let missing = try await Self.post(client, "/v1/openim/send-msg", #"{"sendID":"u1","recvID":"u2","sessionType":1,"senderPlatformID":1,"item":{"kind":"sticker","id":"nope"}}"#)
            #expect(missing.status == .notFound)
            let archived = try await Self.post(client, "/v1/openim/send-msg", #"{"sendID":"u1","recvID":"u2","sessionType":1,"senderPlatformID":1,"item":{"kind":"sticker","id":"old-s1"}}"#)
            #expect(archived.status == .gone)
            let wrongAddress = try await Self.post(client, "/v1/openim/send-msg", #"{"sendID":"u1","recvID":"u2","sessionType":3,"senderPlatformID":0,"item":{"kind":"sticker","id":"pk-s0"}}"#)
            #expect(wrongAddress.status == .unprocessableContent)
            for field in ["groupID", "recvID", "senderPlatformID"] { #expect(wrongAddress.text.contains(#""field":"\#(field)""#), "\(field)") }
        }
    }
}

@Suite("Telegram's TGS and WebM stickers through the API: stored, listed by format, custom messages only")
struct AnimatedStickerAPITests {
    @Test func tgsAndWebMAreServedAndResolvedAsCustomOnly() async throws {
        try await TestService.run { client, components in
            let manifest = #"{"id":"motion","title":{"en":"Motion"},"publisher":"Tests","tray":"tray.png","status":"published","stickers":[{"id":"motion-wave","file":"wave.tgs","emojis":["👋"]},{"id":"motion-run","file":"run.webm","emojis":["🏃"]},{"id":"motion-still","file":"still.png","emojis":["🙂"]}]}"#
            let body = PackUploads.multipart(manifest: manifest, files: [
                ("tray.png", PackUploads.tray), ("wave.tgs", AnimationFactory.tgs()), ("run.webm", AnimationFactory.webm()), ("still.png", PackUploads.image(1)),
            ])
            let created = try await client.execute(uri: "/v1/admin/packs", method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished))
            #expect(created.status == .created, "\(created.text)")
            #expect(await components.snapshots.waitForVersion(try #require(created.catalogVersion)))

            // The catalog says each sticker's format and type; the asset is served with it.
            let pack = try await client.execute(uri: "/v1/catalog/packs/motion", method: .get).json
            guard case .array(let stickers)? = pack["stickers"] else { Issue.record("no stickers: \(pack)"); return }
            #expect(stickers.map { $0["format"] } == [.string("tgs"), .string("webm"), .string("png")])
            #expect(stickers.map { $0["mime"] } == [.string("application/x-tgsticker"), .string("video/webm"), .string("image/png")])
            #expect(pack["animated"] == .bool(true))
            guard case .string(let url)? = stickers[0]["url"] else { Issue.record("no url"); return }
            #expect(url.hasSuffix(".tgs"))
            let asset = try await client.execute(uri: String(url.dropFirst(TestService.baseURL.count)), method: .get)
            #expect(asset.status == .ok)
            #expect(asset.headers[.contentType] == "application/x-tgsticker")
            #expect(Array(asset.body.readableBytesView) == AnimationFactory.tgs())

            // Custom (110) carries the type; picture (102) and face (115) are refused by name for TGS and WebM.
            for id in ["motion-wave", "motion-run"] {
                let custom = try await ResolveTests.post(client, "/v1/resolve", #"{"format":"custom","items":[{"kind":"sticker","id":"\#(id)"}]}"#)
                #expect(custom.status == .ok)
                #expect(custom.text.contains(id == "motion-wave" ? #"\"mime\":\"application/x-tgsticker\""# : #"\"mime\":\"video/webm\""#), "\(custom.text)")
                for format in ["picture", "face", "native"] {
                    let refused = try await ResolveTests.post(client, "/v1/resolve", #"{"format":"\#(format)","items":[{"kind":"sticker","id":"\#(id)"}]}"#)
                    guard case .array(let items)? = refused.json["items"], let item = items.first else { Issue.record("\(refused.text)"); continue }
                    #expect(item["error"]?["status"] == .integer(422), "\(format): \(refused.text)")
                    guard case .string(let detail)? = item["error"]?["detail"] else { Issue.record("no detail: \(refused.text)"); continue }
                    #expect(detail.contains("data.mime") && detail.contains("send it as custom (110)"), "\(detail)")
                }
            }
            // The still sticker in the same pack still resolves as a picture.
            let still = try await ResolveTests.post(client, "/v1/resolve", #"{"format":"picture","items":[{"kind":"sticker","id":"motion-still"}]}"#)
            #expect(still.text.contains(#""contentType":102"#), "\(still.text)")

            // The admin's document says the format too, and PUTs back unchanged.
            let admin = try await client.execute(uri: "/v1/admin/packs/motion", method: .get, headers: .admin())
            #expect(admin.text.contains(#""format":"tgs""#))
            let put = try await client.execute(
                uri: "/v1/admin/packs/motion", method: .put, headers: .admin([.contentType: "application/json", .ifMatch: admin.headers[.eTag] ?? ""]), body: admin.body
            )
            #expect(put.status == .ok, "\(put.text)")
            if put.status != .ok { print(put.text) }
        }
    }
}
