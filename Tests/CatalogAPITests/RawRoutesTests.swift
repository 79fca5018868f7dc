@testable import CatalogAPI
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// The byte lane's route table — catalog, pack and GIF-configuration reads from prepared heads, resolve and the
/// webhooks without header fields or requests built — answers what the router answers, and takes only requests
/// that the router would answer the same way.
@Suite("Raw routes: the hot routes answered from the request's bytes, as the router answers them")
struct RawRoutesTests {
    /// The lane's table over the running service's routes and snapshot.
    static func lane(_ components: CatalogServiceComponents, accessLog: AccessLog? = nil) -> RawRoutes {
        var logger = Logger(label: "raw-test")
        logger.logLevel = .warning
        let (_, routes) = buildRouter(components: components)
        return RawRoutes(routes: routes, serverName: "catalog-service", logger: logger, accessLog: accessLog ?? AccessLog(logger: logger), answered: AnswerCounter())
    }

    /// The table's answer to `request`, nil when it is left to the router.
    static func raw(_ lane: RawRoutes, _ request: String, state: inout RawRoutes.ConnectionState) throws -> [UInt8]? {
        let outcome = Array(request.utf8).withUnsafeBytes {
            lane.answer($0, continueSent: false, startNanoseconds: DispatchTime.now().uptimeNanoseconds, allocator: ByteBufferAllocator(), connection: &state)
        }
        guard case .answered(let consumed, var head, let body, _) = outcome else { return nil }
        #expect(consumed == request.utf8.count)
        if var body { head.writeBuffer(&body) }
        return Array(head.readableBytesView)
    }

    static func raw(_ lane: RawRoutes, _ request: String) throws -> [UInt8]? {
        var state = RawRoutes.ConnectionState()
        return try raw(lane, request, state: &state)
    }

    /// What the router answers to the same request (sent framed so that the lane leaves it to the decoder).
    static func router(port: Int, _ request: String) async throws -> RawResponse {
        let answers = try await ByteLaneTests.exchange(port: port, [ByteLaneTests.routerVariant(request)], bodyless: [request.hasPrefix("HEAD ")])
        return try #require(answers.first)
    }

    /// The answer with its `Date` value blanked (two answers may straddle a second) and, for generated ids, the id
    /// checked for its form and blanked.
    static func comparable(_ bytes: [UInt8], generatedID: Bool) -> String {
        var text = String(decoding: bytes, as: UTF8.self)
        text = text.replacingOccurrences(of: #"\r\nDate: [^\r]*\r\n"#, with: "\r\nDate: -\r\n", options: .regularExpression)
        if generatedID {
            #expect(text.range(of: #"\r\nX-Request-Id: [0-9a-f]{16}-[0-9a-f]+\r\n"#, options: .regularExpression) != nil, "\(text.prefix(400))")
            text = text.replacingOccurrences(of: #"\r\nX-Request-Id: [^\r]*\r\n"#, with: "\r\nX-Request-Id: -\r\n", options: .regularExpression)
        }
        return text
    }

    static func request(_ method: String, _ target: String, _ headers: [String], body: String? = nil) -> String {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers.map { $0 + "\r\n" }.joined()
        if let body { text += "Content-Length: \(body.utf8.count)\r\n\r\n" + body } else { text += "\r\n" }
        return text
    }

    static let gateway = ["Authorization: Bearer \(TestService.gatewayToken)", "Content-Type: application/json"]

    static func webhook(_ command: String, secret: String = TestService.webhookSecret) -> String {
        "/v1/openim/callbacks/\(secret)/\(command)"
    }

    /// Each request answered by a raw route, and its answer the router's (all but `Date` and `X-Request-Id`, whose
    /// form is checked).
    static func expectSameAnswers(_ lane: RawRoutes, port: Int, _ cases: [(String, Bool)]) async throws {
        var state = RawRoutes.ConnectionState()
        for (request, generatedID) in cases {
            let line = request.prefix { $0 != "\r" } + " " + request.split(separator: "\r\n").dropFirst(2).joined(separator: " | ").prefix(200)
            let raw = try #require(try Self.raw(lane, request, state: &state), "not taken: \(line)")
            _ = Self.comparable(raw, generatedID: generatedID)
            let laneAnswer = try #require(RawResponse.parse(raw, bodyless: [request.hasPrefix("HEAD ")])?.first)
            let routerAnswer = try await Self.router(port: port, request)
            #expect(laneAnswer == routerAnswer, "\(line): lane \(laneAnswer.comparableHeaders) vs router \(routerAnswer.comparableHeaders)")
        }
    }

    @Test func everyCatalogVariantIsTheRoutersAnswer() async throws {
        try await TestService.runLive(idleTimeout: nil) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let lane = Self.lane(components)
            let identityTag = try #require(try await client.execute(uri: "/v1/catalog", method: .get).headers[.eTag])
            let gzipTag = try #require(try await client.execute(uri: "/v1/catalog", method: .get, headers: [.acceptEncoding: "gzip"]).headers[.eTag])
            let gifTag = try #require(try await client.execute(uri: "/v1/gif-config", method: .get).headers[.eTag])
            let packTag = try #require(try await client.execute(uri: "/v1/catalog/packs/pk", method: .get, headers: [.acceptEncoding: "gzip"]).headers[.eTag])

            let encodings: [String?] = [nil, "gzip", "gzip;q=0", "br, gzip;q=0.8", "*", "identity;q=0, *;q=0.1", "GZIP"]
            let conditions: [String?] = [nil, identityTag, gzipTag, "W/\(identityTag)", "\"stale\", \(gzipTag)", "*", "\"stale\"", "\(identityTag)junk"]
            var cases: [(String, Bool)] = []
            for method in ["GET", "HEAD"] {
                for encoding in encodings {
                    for condition in conditions {
                        var headers: [String] = []
                        if let encoding { headers.append("Accept-Encoding: \(encoding)") }
                        if let condition { headers.append("If-None-Match: \(condition)") }
                        cases.append((Self.request(method, "/v1/catalog", headers), true))
                    }
                }
            }
            cases += [
                (Self.request("GET", "/v1/catalog?locale=en", ["X-Request-Id: mine-1.2_3"]), false),
                (Self.request("GET", "/v1/catalog", ["x-request-id: bad id!", "user-agent: test/1"]), true),
                (Self.request("GET", "/v1/catalog", ["If-None-Match: \(identityTag)", "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT"]), true),
                (Self.request("GET", "/v1/gif-config", []), true),
                (Self.request("HEAD", "/v1/gif-config", ["Accept-Encoding: gzip"]), true),
                (Self.request("GET", "/v1/gif-config", ["If-None-Match: \(gifTag)"]), true),
                (Self.request("GET", "/v1/catalog/packs/pk", []), true),
                (Self.request("HEAD", "/v1/catalog/packs/pk", ["Accept-Encoding: gzip"]), true),
                (Self.request("GET", "/v1/catalog/packs/pk", ["Accept-Encoding: gzip", "If-None-Match: \(packTag)"]), true),
            ]
            try await Self.expectSameAnswers(lane, port: port, cases)
        }
    }

    @Test func resolveAndWebhooksAreTheRoutersAnswers() async throws {
        try await TestService.runLive(idleTimeout: nil) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let lane = Self.lane(components)
            let content = try await WebhookTests.stickerContent(client, "pk-s0")
            let another = try await WebhookTests.stickerContent(client, "pk-s1")
            let resolveBodies = [
                #"{"items":[{"kind":"sticker","id":"pk-s0"}]}"#,
                #"{"format":"picture","locale":"zh-Hans","items":[{"kind":"sticker","id":"pk-s0"},{"kind":"sticker","id":"nope"},{"kind":"sticker","id":"wip-s0"}]}"#,
                #"{"format":"face","items":[{"kind":"sticker","id":"pk-s1"},{"kind":"gif","provider":"klipy","id":"x"},{"kind":"nonsense"}]}"#,
                #"{"format":"native","items":[{"kind":"sticker","id":"pk-s0"}]}"#,
            ]
            var cases: [(String, Bool)] = []
            // Twice each: the second answer comes from the sticker memo.
            for body in resolveBodies + resolveBodies {
                cases.append((Self.request("POST", "/v1/resolve", Self.gateway, body: body), true))
            }
            cases.append((Self.request("POST", "/v1/resolve", Self.gateway + ["X-Request-Id: gw-7"], body: resolveBodies[0]), false))
            cases.append((Self.request("POST", "/v1/resolve", ["Content-Type: application/vnd.api+json; charset=utf-8", "authorization: bearer  \(TestService.gatewayToken) "], body: resolveBodies[0]), true))
            for command in ["callbackBeforeSendGroupMsgCommand", "callbackBeforeSendSingleMsgCommand", "callbackAfterSendSingleMsgCommand", "callbackBeforeMsgModifyCommand", "somethingElse"] {
                for messageContent in [content, another, #"{"data":"{\"type\":\"sticker\",\"v\":1}"}"#] {
                    let body = WebhookTests.callback(command, contentType: 110, content: messageContent, group: command.contains("Group"))
                    cases.append((Self.request("POST", Self.webhook(command), ["Content-Type: application/json"], body: body), true))
                    cases.append((Self.request("POST", Self.webhook(command), [], body: body), true))
                }
            }
            cases.append((Self.request("POST", Self.webhook("callbackBeforeSendGroupMsgCommand"), [], body: "not json"), true))
            try await Self.expectSameAnswers(lane, port: port, cases)
        }
    }

    /// Requests that are not plain are left to the router.
    @Test func onlyPlainRequestsAreTaken() async throws {
        try await TestService.run { client, components in
            _ = try await ResolveTests.seed(client, components)
            let lane = Self.lane(components)
            let resolve = #"{"items":[{"kind":"sticker","id":"pk-s0"}]}"#
            let leftAlone = [
                Self.request("GET", "/v1/catalog", ["If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT"]),
                Self.request("GET", "/v1/catalog", ["If-None-Match: \"a\"", "If-None-Match: \"b\""]),
                Self.request("GET", "/v1/catalog", ["Accept-Encoding: gzip", "Accept-Encoding: br"]),
                Self.request("GET", "/v1/catalog", ["X-Request-Id: a", "X-Request-Id: b"]),
                Self.request("GET", "/v1/catalog", ["Content-Length: 0"]),
                Self.request("GET", "/v1/catalog", ["Transfer-Encoding: chunked"]),
                Self.request("GET", "/v1/catalog", ["Host: other"]),
                Self.request("GET", "/v1/catalog", ["Upgrade: h2c"]),
                Self.request("GET", "/v1/catalog", ["Connection: Upgrade"]),
                Self.request("GET", "/v1/catalog", ["Expect: 200-ok"]),
                Self.request("GET", "/v1/catalog/packs/none", []),
                "GET /v1/catalog HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
                Self.request("GET", "/v1/catalog", ["TE: trailers"]),
                Self.request("GET", "/v1/catalog", ["Bad Name: x"]),
                Self.request("GET", "/v1/catalog/", []),
                Self.request("GET", "/v1/catalogue", []),
                Self.request("GET", "/v1/catalog/changes?since=0", []),
                Self.request("POST", "/v1/catalog", [], body: ""),
                Self.request("OPTIONS", "/v1/catalog", []),
                Self.request("GET", "/v1/resolve", Self.gateway),
                "GET /v1/catalog HTTP/1.1\r\n\r\n",
                "get /v1/catalog HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET /v1/catalog HTTP/1.1\r\nHost: a\r\n",
                // Resolve: no or another token, not JSON, twice a field, media (PostgreSQL), a body the router refuses.
                Self.request("POST", "/v1/resolve", ["Content-Type: application/json"], body: resolve),
                Self.request("POST", "/v1/resolve", ["Authorization: Bearer \(TestService.adminToken)", "Content-Type: application/json"], body: resolve),
                Self.request("POST", "/v1/resolve", ["Authorization: Bearer \(TestService.gatewayToken)", "Content-Type: text/plain"], body: resolve),
                Self.request("POST", "/v1/resolve", Self.gateway + ["Content-Type: application/json"], body: resolve),
                Self.request("POST", "/v1/resolve", Self.gateway + ["Authorization: Bearer \(TestService.gatewayToken)"], body: resolve),
                Self.request("POST", "/v1/resolve", Self.gateway, body: #"{"items":[{"kind":"media","id":"\#(UUID().uuidString)"}]}"#),
                Self.request("POST", "/v1/resolve", Self.gateway, body: #"{"items":[],"extra":1}"#),
                Self.request("POST", "/v1/resolve", Self.gateway, body: "{"),
                // Framing: a body not all there, a body without a length, twice a length, a percent-encoded path.
                String(Self.request("POST", "/v1/resolve", Self.gateway, body: resolve).dropLast(3)),
                "POST /v1/resolve HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n\r\n",
                Self.request("POST", "/v1/resolve", Self.gateway + ["Content-Length: 41"], body: resolve),
                Self.request("POST", "/v1/re%73olve", Self.gateway, body: resolve),
                // Webhooks: a wrong secret, a missing command, a body over the limit.
                Self.request("POST", Self.webhook("callbackBeforeSendGroupMsgCommand", secret: "wrong-secret"), [], body: "{}"),
                Self.request("POST", "/v1/openim/callbacks/\(TestService.webhookSecret)", [], body: "{}"),
                Self.request("POST", Self.webhook("callbackBeforeSendGroupMsgCommand"), [], body: String(repeating: " ", count: 64 * 1024 + 1)),
            ]
            for request in leftAlone {
                #expect(try Self.raw(lane, request) == nil, "taken: \(request.prefix(300).debugDescription)")
            }
            // And nothing before the first snapshot.
            let empty = Self.lane(CatalogServiceComponents(
                database: components.database, packs: components.packs, media: components.media, libraries: components.libraries, usage: components.usage,
                snapshots: CatalogSnapshotStore(), configuration: components.configuration, laneAnswers: AnswerCounter(),
                accessLog: components.accessLog
            ))
            #expect(try Self.raw(empty, Self.request("GET", "/v1/catalog", [])) == nil)
            #expect(try Self.raw(empty, Self.request("POST", "/v1/resolve", Self.gateway, body: resolve)) == nil)
        }
    }

    /// Answers follow the snapshot: after a change the next read answers with the new version's bytes.
    @Test func answersFollowTheSnapshot() async throws {
        try await TestService.runLive(idleTimeout: nil) { port, client, components in
            let lane = Self.lane(components)
            let request = Self.request("GET", "/v1/catalog", ["X-Request-Id: fixed"])
            let before = try #require(try Self.raw(lane, request))
            _ = try await CatalogTests.publish(client, components, id: "later")
            let after = try #require(try Self.raw(lane, request))
            #expect(before != after)
            #expect(RawResponse.parse(after)?.first == (try await Self.router(port: port, request)))
            let text = String(decoding: after, as: UTF8.self)
            let version = try #require(components.snapshots.current).version
            #expect(text.contains("\"id\":\"later\"") && text.contains("Catalog-Version: \(version)\r\n"))
            let resolved = try #require(try Self.raw(lane, Self.request("POST", "/v1/resolve", Self.gateway, body: #"{"items":[{"kind":"sticker","id":"later-s0"}]}"#)))
            #expect(String(decoding: resolved, as: UTF8.self).contains("Catalog-Version: \(version)\r\n"))
        }
    }

    /// A connection numbers its requests from blocks of the shared sequence: ids stay unique across connections
    /// and with the router's.
    @Test func requestIDsStayUnique() {
        var first = RawRoutes.ConnectionState()
        var second = RawRoutes.ConnectionState()
        var seen = Set<String>()
        for round in 0..<300 {
            let ids = [
                RequestLoggingMiddleware.id(first.newID()), RequestLoggingMiddleware.id(second.newID()), RequestLoggingMiddleware.generateID(),
            ]
            for id in ids {
                #expect(RequestLoggingMiddleware.isSane(id))
                #expect(id.range(of: #"^[0-9a-f]{16}-[0-9a-f]+$"#, options: .regularExpression) != nil, "\(id)")
                #expect(seen.insert(id).inserted, "\(id) repeated in round \(round)")
            }
        }
    }
}
