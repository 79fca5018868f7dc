import CatalogAPI
import CatalogCore
import CatalogStore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

@Suite("OpenIM webhooks: CommonCallbackReq in, numeric CommonCallbackResp out, usage counted once")
struct WebhookTests {
    static let path = "/v1/openim/callbacks/\(TestService.webhookSecret)"

    /// A `CommonCallbackReq` exactly as OpenIM's server sends it (pkg/callbackstruct/common.go), with `content`
    /// the stored content JSON as a string.
    static func callback(_ command: String, contentType: Int, content: String, serverMsgID: String = "3314df86c67cdb1e6b776c9ee50f61ea", group: Bool = true) -> String {
        let quoted = content.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let address = group ? #""groupID":"grp_42""# : #""recvID":"user_002""#
        return #"""
        {"sendID":"user_001","callbackCommand":"\#(command)","serverMsgID":"\#(serverMsgID)","clientMsgID":"e076b0b51e0ff49040a0fb1110443ae2","operationID":"8f04828c-07df-43a9-ba59-5b6571c582b3","senderPlatformID":1,"senderNickname":"Alice","sessionType":\#(group ? 3 : 1),"msgFrom":100,"contentType":\#(contentType),"status":1,"sendTime":1719800000123,"createTime":1719800000001,"content":"\#(quoted)","seq":0,"atUserList":null,"faceURL":"https://cdn.example.com/u/alice.png","ex":"",\#(address)}
        """#
    }

    static func send(_ client: any TestClientProtocol, _ command: String, _ body: String, secret: String = TestService.webhookSecret) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/openim/callbacks/\(secret)/\(command)", method: .post,
            headers: [.contentType: "application/json; charset=utf-8", HTTPField.Name("operationID")!: "op-1"], body: ByteBuffer(string: body)
        )
    }

    /// The custom content of resolving `id` (what a client sends for that sticker).
    static func stickerContent(_ client: any TestClientProtocol, _ id: String) async throws -> String {
        let resolved = try await ResolveTests.post(client, "/v1/resolve", #"{"items":[{"kind":"sticker","id":"\#(id)"}]}"#)
        guard case .array(let items)? = resolved.json["items"], let content = items.first?["content"] else { return "" }
        var writer = JSONWriter()
        writer.value(content)
        return writer.string
    }

    /// Checks a reply field by field: numeric codes, OpenIM's allow or reject form.
    static func expectReply(_ response: TestResponse, rejectCode: Int64?, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == .ok, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        let json = response.json
        #expect(json["actionCode"] == .integer(0), sourceLocation: sourceLocation)
        if let rejectCode {
            #expect(json["errCode"] == .integer(rejectCode), "\(response.text)", sourceLocation: sourceLocation)
            #expect(json["nextCode"] == .integer(1), sourceLocation: sourceLocation)
            if case .string(let message)? = json["errMsg"] { #expect(!message.isEmpty, sourceLocation: sourceLocation) } else {
                Issue.record("errMsg is not a string: \(response.text)", sourceLocation: sourceLocation)
            }
            if case .string? = json["errDlt"] {} else { Issue.record("errDlt is not a string", sourceLocation: sourceLocation) }
        } else {
            #expect(json == (try? JSONParser.parse(#"{"actionCode":0,"errCode":0,"errDlt":"","errMsg":"","nextCode":0}"#)), "\(response.text)", sourceLocation: sourceLocation)
        }
    }

    @Test func beforeSendAllowsAndRejects() async throws {
        try await TestService.run { client, components in
            _ = try await ResolveTests.seed(client, components)
            let gifConfig = try await GIFConfigTests.put(client, GIFConfigTests.document)
            #expect(await components.snapshots.waitForVersion(try #require(gifConfig.catalogVersion)))
            let good = try await Self.stickerContent(client, "pk-s0")
            let group = "callbackBeforeSendGroupMsgCommand"
            let single = "callbackBeforeSendSingleMsgCommand"

            Self.expectReply(try await Self.send(client, group, Self.callback(group, contentType: 110, content: good)), rejectCode: nil)
            Self.expectReply(try await Self.send(client, single, Self.callback(single, contentType: 110, content: good, group: false)), rejectCode: nil)
            let unknown = good.replacingOccurrences(of: #"\"stickerId\":\"pk-s0\""#, with: #"\"stickerId\":\"pk-s9\""#)
            Self.expectReply(try await Self.send(client, group, Self.callback(group, contentType: 110, content: unknown)), rejectCode: 5101)
            let archived = good.replacingOccurrences(of: #"\"stickerId\":\"pk-s0\""#, with: #"\"stickerId\":\"old-s0\""#)
            Self.expectReply(try await Self.send(client, group, Self.callback(group, contentType: 110, content: archived)), rejectCode: 5102)
            let draft = good.replacingOccurrences(of: #"\"stickerId\":\"pk-s0\""#, with: #"\"stickerId\":\"wip-s1\""#)
            Self.expectReply(try await Self.send(client, single, Self.callback(single, contentType: 110, content: draft, group: false)), rejectCode: 5102)
            let gif = #"{"data":"{\"height\":200,\"provider\":\"klipy\",\"providerId\":\"1\",\"type\":\"gif\",\"url\":\"https://HOST/a.gif\",\"v\":1,\"width\":320}","description":"[GIF]"}"#
            Self.expectReply(try await Self.send(client, group, Self.callback(group, contentType: 110, content: gif.replacingOccurrences(of: "HOST", with: "static.klipy.com"))), rejectCode: nil)
            Self.expectReply(try await Self.send(client, group, Self.callback(group, contentType: 110, content: gif.replacingOccurrences(of: "HOST", with: "evil.example"))), rejectCode: 5103)
            let malformed = #"{"data":"{\"type\":\"sticker\",\"v\":1,\"stickerId\":7}","description":"[Sticker]"}"#
            Self.expectReply(try await Self.send(client, group, Self.callback(group, contentType: 110, content: malformed)), rejectCode: 5104)
            // Not ours: someone else's custom payload, a text, a bundled face emoji.
            let poll = #"{"data":"{\"kind\":\"poll\"}","description":"[Poll]"}"#
            Self.expectReply(try await Self.send(client, group, Self.callback(group, contentType: 110, content: poll)), rejectCode: nil)
            Self.expectReply(try await Self.send(client, group, Self.callback(group, contentType: 101, content: #"{"content":"hi"}"#)), rejectCode: nil)
            Self.expectReply(try await Self.send(client, group, Self.callback(group, contentType: 115, content: #"{"index":2,"data":""}"#)), rejectCode: nil)
            // A body OpenIM would never send still gets an answer OpenIM can parse.
            Self.expectReply(try await Self.send(client, group, "{not json"), rejectCode: nil)
            // Unknown commands are allowed.
            Self.expectReply(try await Self.send(client, "callbackAfterSingleMsgReadCommand", Self.callback("callbackAfterSingleMsgReadCommand", contentType: 101, content: "{}")), rejectCode: nil)
        }
    }

    @Test func aWrongSecretIsNotFoundAndNeverEchoed() async throws {
        try await TestService.run { client, _ in
            let command = "callbackBeforeSendGroupMsgCommand"
            let wrong = try await Self.send(client, command, Self.callback(command, contentType: 101, content: "{}"), secret: "guess-the-secret-123456")
            #expect(wrong.status == .notFound)
            #expect(!wrong.text.contains("guess-the-secret"))
            let missing = try await client.execute(uri: "/v1/openim/callbacks/\(command)", method: .post, body: ByteBuffer(string: "{}"))
            #expect(missing.status == .notFound)
            // Metrics name the route pattern, never the secret.
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(!metrics.text.contains(TestService.webhookSecret))
            #expect(!metrics.text.contains("guess-the-secret"))
            #expect(metrics.text.contains("/v1/openim/callbacks/{secret}/{command}"))
        }
    }

    @Test func modifyRefreshesAStaleStickerPayload() async throws {
        try await TestService.run { client, components in
            _ = try await ResolveTests.seed(client, components)
            let current = try await Self.stickerContent(client, "pk-s0")
            let command = "callbackBeforeMsgModifyCommand"
            Self.expectReply(try await Self.send(client, command, Self.callback(command, contentType: 110, content: current)), rejectCode: nil)
            // A client with an old catalog sends an outdated URL and size.
            guard case .string(let url)? = (try JSONParser.parse(current))["data"].flatMap({ if case .string(let d) = $0 { try? JSONParser.parse(d) } else { nil } })?["url"] else {
                Issue.record("no url in \(current)")
                return
            }
            let stale = current.replacingOccurrences(of: url, with: "\(TestService.baseURL)/v1/assets/\(String(repeating: "ab", count: 32)).png")
            let reply = try await Self.send(client, command, Self.callback(command, contentType: 110, content: stale))
            #expect(reply.status == .ok)
            #expect(reply.json["actionCode"] == .integer(0))
            #expect(reply.json["nextCode"] == .integer(0))
            guard case .string(let content)? = reply.json["content"] else { Issue.record("no content: \(reply.text)"); return }
            // The replacement is a JSON object string carrying the current payload.
            #expect(try JSONParser.parse(content) == (try JSONParser.parse(current)))
        }
    }

    @Test func afterSendCountsEachMessageOnceAndFeedsPopular() async throws {
        try await TestService.run { client, components in
            _ = try await ResolveTests.seed(client, components)
            let s0 = try await Self.stickerContent(client, "pk-s0")
            let s1 = try await Self.stickerContent(client, "pk-s1")
            let command = "callbackAfterSendGroupMsgCommand"
            // pk-s1 three messages, pk-s0 one message reported three times (OpenIM retries or two replicas).
            for (content, id) in [(s1, "m1"), (s1, "m2"), (s1, "m3"), (s0, "m4"), (s0, "m4"), (s0, "m4")] {
                Self.expectReply(try await Self.send(client, command, Self.callback(command, contentType: 110, content: content, serverMsgID: id)), rejectCode: nil)
            }
            #expect(try await components.usage.flush() == 4)
            // Reported again after the flush: still counted once.
            Self.expectReply(try await Self.send(client, command, Self.callback(command, contentType: 110, content: s0, serverMsgID: "m4")), rejectCode: nil)
            #expect(try await components.usage.flush() == 0)
            let database = components.configuration.databaseURL
            let rows = try await TestService.query(database, "SELECT sticker_id || '=' || sends FROM sticker_usage ORDER BY sticker_id", as: String.self)
            #expect(rows == ["pk-s0=1", "pk-s1=3"])
            // Counted on the day OpenIM sent the message.
            #expect(try await TestService.query(database, "SELECT DISTINCT day::text FROM sticker_usage", as: String.self) == ["2024-07-01"])

            // Stats over that day.
            let stats = try await client.execute(uri: "/v1/admin/stats/stickers?from=2024-07-01&to=2024-07-01", method: .get, headers: .admin())
            #expect(stats.json == (try JSONParser.parse(#"{"from":"2024-07-01","gifs":[],"stickers":[{"packId":"pk","sends":3,"stickerId":"pk-s1"},{"packId":"pk","sends":1,"stickerId":"pk-s0"}],"to":"2024-07-01"}"#)))

            // Popular counts the last 7 days: move the usage to today, then refresh.
            try await TestService.execute(database, "UPDATE sticker_usage SET day = (now() AT TIME ZONE 'UTC')::date")
            let version = try #require(try await components.usage.refreshPopular())
            #expect(await components.snapshots.waitForVersion(version))
            let catalog = try await client.execute(uri: "/v1/catalog", method: .get)
            #expect(catalog.json["popular"] == .array([.string("pk-s1"), .string("pk-s0")]))
            let changes = try await client.execute(uri: "/v1/catalog/changes?since=\(version - 1)", method: .get)
            #expect(changes.json["popularChanged"] == .bool(true))
            // Unchanged order: no new version.
            #expect(try await components.usage.refreshPopular() == nil)
        }
    }

    @Test func webhooksKeepAnsweringWhilePostgreSQLIsAway() async throws {
        let database = try await TestService.freshDatabase()
        let name = database.database
        try await TestService.run(database: database) { client, components in
            _ = try await ResolveTests.seed(client, components)
            let good = try await Self.stickerContent(client, "pk-s0")
            let unknown = good.replacingOccurrences(of: #"\"stickerId\":\"pk-s0\""#, with: #"\"stickerId\":\"pk-s9\""#)
            let server = try TestService.serverURL()
            // Cut this service's database off: no new connections, existing ones terminated.
            try await TestService.execute(server, "ALTER DATABASE \(name) WITH ALLOW_CONNECTIONS false")
            try await TestService.execute(server, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)'")
            do {
                let before = "callbackBeforeSendGroupMsgCommand"
                Self.expectReply(try await Self.send(client, before, Self.callback(before, contentType: 110, content: good)), rejectCode: nil)
                Self.expectReply(try await Self.send(client, before, Self.callback(before, contentType: 110, content: unknown)), rejectCode: 5101)
                let after = "callbackAfterSendGroupMsgCommand"
                Self.expectReply(try await Self.send(client, after, Self.callback(after, contentType: 110, content: good, serverMsgID: "down-1")), rejectCode: nil)
                // The count waits in memory while the database is away …
                await #expect(throws: (any Error).self) { try await components.usage.flush() }
                #expect(components.usage.pendingCount == 1)
            }
            try await TestService.execute(server, "ALTER DATABASE \(name) WITH ALLOW_CONNECTIONS true")
            // … and is written once it is back.
            var written = 0
            for _ in 0..<50 where written == 0 {
                written = (try? await components.usage.flush()) ?? 0
                if written == 0 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(written == 1)
        }
    }
}
