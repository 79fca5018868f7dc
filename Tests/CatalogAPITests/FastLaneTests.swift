@testable import CatalogAPI
import CatalogCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

/// A response read off a raw socket.
struct RawResponse: Equatable {
    var status: Int
    /// Lower-cased names, in the order received.
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    /// Headers sorted, without the two that differ per request by design.
    var comparableHeaders: [String] {
        headers.filter { $0.name != "date" && $0.name != "x-request-id" }.map { "\($0.name): \($0.value)" }.sorted()
    }

    static func == (lhs: RawResponse, rhs: RawResponse) -> Bool {
        lhs.status == rhs.status && lhs.comparableHeaders == rhs.comparableHeaders && lhs.body == rhs.body
    }

    /// Splits pipelined responses; `bodyless[i]` marks answers to HEAD. Nil when the bytes end mid-response.
    static func parse(_ bytes: [UInt8], bodyless: [Bool] = []) -> [RawResponse]? {
        var responses: [RawResponse] = []
        var index = 0
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while index < bytes.count {
            guard let end = (index...(bytes.count - separator.count)).first(where: { Array(bytes[$0..<($0 + 4)]) == separator }) else { return nil }
            let lines = String(decoding: bytes[index..<end], as: UTF8.self).components(separatedBy: "\r\n")
            guard let status = lines.first.flatMap({ Int($0.split(separator: " ")[1]) }) else { return nil }
            let headers = lines.dropFirst().map { line -> (name: String, value: String) in
                let parts = line.split(separator: ":", maxSplits: 1)
                return (parts[0].lowercased(), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
            }
            var response = RawResponse(status: status, headers: headers, body: [])
            let bodyStart = end + separator.count
            let isHead = responses.count < bodyless.count && bodyless[responses.count]
            let length = isHead || status == 304 ? 0 : Int(response.header("content-length") ?? "0") ?? 0
            guard bodyStart + length <= bytes.count else { return nil }
            response.body = Array(bytes[bodyStart..<(bodyStart + length)])
            responses.append(response)
            index = bodyStart + length
        }
        return responses
    }
}

@Suite("Fast lane: the hot routes answered on the event loop, byte for byte as the router answers them")
struct FastLaneTests {
    static let closing = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

    static func request(_ method: String, _ path: String, headers: [String] = [], body: String? = nil) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for header in headers { text += header + "\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n\r\n" + body } else { text += "\r\n" }
        return text
    }

    /// Sends `requests` pipelined on one connection, closed by a health check; the answers before it.
    static func exchange(port: Int, _ requests: [String], bodyless: [Bool] = []) async throws -> [RawResponse] {
        let raw = try RawHTTP(port: port)
        try await raw.send(requests.joined() + closing)
        let (bytes, _) = await raw.readBytesUntilClosed()
        let responses = try #require(RawResponse.parse(bytes, bodyless: bodyless), "unparseable: \(String(decoding: bytes.prefix(300), as: UTF8.self))")
        try #require(responses.count == requests.count + 1, "\(responses.count) answers to \(requests.count + 1) requests")
        return Array(responses.dropLast())
    }

    @Test func theLaneAnswersExactlyWhatTheRouterAnswers() async throws {
        try await TestService.runLive(idleTimeout: .seconds(30)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let catalog = try await client.execute(uri: "/v1/catalog", method: .get)
            let eTag = try #require(catalog.headers[.eTag])
            let content = try await WebhookTests.stickerContent(client, "pk-s0")
            let gateway = ["Authorization: Bearer \(TestService.gatewayToken)", "Content-Type: application/json"]
            let cases: [(String, Bool)] = [
                (Self.request("GET", "/v1/catalog"), false),
                (Self.request("GET", "/v1/catalog?locale=en", headers: ["Accept-Encoding: br, gzip;q=0.8"]), false),
                (Self.request("GET", "/v1/catalog", headers: ["If-None-Match: W/\"x\", \(eTag)"]), false),
                (Self.request("HEAD", "/v1/catalog", headers: ["Accept-Encoding: gzip"]), true),
                (Self.request("GET", "/v1/catalog/packs/pk"), false),
                (Self.request("GET", "/v1/gif-config"), false),
                (Self.request("POST", "/v1/resolve", headers: gateway, body: #"{"format":"picture","items":[{"kind":"sticker","id":"pk-s0"},{"kind":"sticker","id":"nope"},{"kind":"sticker","id":"wip-s0"}]}"#), false),
                (Self.request("POST", "/v1/openim/callbacks/\(TestService.webhookSecret)/callbackBeforeSendGroupMsgCommand", headers: ["Content-Type: application/json"],
                         body: WebhookTests.callback("callbackBeforeSendGroupMsgCommand", contentType: 110, content: content)), false),
                (Self.request("POST", "/v1/openim/callbacks/\(TestService.webhookSecret)/callbackBeforeSendSingleMsgCommand", headers: ["Content-Type: application/json"],
                         body: WebhookTests.callback("callbackBeforeSendSingleMsgCommand", contentType: 110, content: #"{"data":"{\"type\":\"sticker\",\"v\":1}"}"#, group: false)), false),
            ]
            for (laneRequest, isHead) in cases {
                // The same request with a Connection header, which the lane always leaves to the router.
                let routerRequest = laneRequest.replacingOccurrences(of: "Host: 127.0.0.1\r\n", with: "Host: 127.0.0.1\r\nConnection: keep-alive\r\n")
                let before = components.fastLaneAnswers.value
                let beforeBytes = components.byteLaneAnswers.value
                let beforeRaw = components.rawAnswers.value
                let answers = try await Self.exchange(port: port, [laneRequest, routerRequest], bodyless: [isHead, isHead])
                let line = laneRequest.prefix { $0 != "\r" }
                #expect(components.fastLaneAnswers.value == before + 1, "\(line) was not answered on the lane")
                #expect(components.byteLaneAnswers.value == beforeBytes + 1, "\(line) was not answered from the bytes")
                // All but the pack read are raw routes (unless every request is logged, which only the general path does).
                let raw = TestService.logger.logLevel > .info && !line.contains("/packs/")
                #expect(components.rawAnswers.value == beforeRaw + (raw ? 1 : 0), "\(line): raw or not")
                #expect(answers[0] == answers[1], "\(line): lane \(answers[0].comparableHeaders) vs router \(answers[1].comparableHeaders)")
                #expect([200, 304].contains(answers[0].status), "\(line): \(answers[0].status)")
                #expect(answers[0].header("x-request-id") != nil && answers[0].header("date") != nil && answers[0].header("server") == "catalog-service")
            }
        }
    }

    @Test func requestsTheLaneDeclinesGetTheRoutersAnswer() async throws {
        try await TestService.runLive(idleTimeout: .seconds(30)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let gateway = ["Authorization: Bearer \(TestService.gatewayToken)", "Content-Type: application/json"]
            let before = components.fastLaneAnswers.value
            let media = UUID().uuidString
            let answers = try await Self.exchange(port: port, [
                // Media needs PostgreSQL.
                Self.request("POST", "/v1/resolve", headers: gateway, body: #"{"items":[{"kind":"media","id":"\#(media)"},{"kind":"sticker","id":"pk-s0"}]}"#),
                // Refusals: no token, the admin token, not JSON, a body the router refuses, a wrong webhook secret.
                Self.request("POST", "/v1/resolve", headers: ["Content-Type: application/json"], body: #"{"items":[{"kind":"sticker","id":"pk-s0"}]}"#),
                Self.request("POST", "/v1/resolve", headers: ["Authorization: Bearer \(TestService.adminToken)", "Content-Type: application/json"], body: "{}"),
                Self.request("POST", "/v1/resolve", headers: ["Authorization: Bearer \(TestService.gatewayToken)", "Content-Type: text/plain"], body: "{}"),
                Self.request("POST", "/v1/resolve", headers: gateway, body: #"{"items":[],"extra":1}"#),
                Self.request("POST", "/v1/openim/callbacks/wrong-secret/callbackBeforeSendGroupMsgCommand", headers: ["Content-Type: application/json"], body: "{}"),
                // Unknown pack, a percent-encoded path (the router does not decode it either: 404), a body on a GET.
                Self.request("GET", "/v1/catalog/packs/none"),
                Self.request("GET", "/v1/catalog/packs/p%6B"),
                Self.request("GET", "/v1/catalog", body: "x"),
            ])
            #expect(components.fastLaneAnswers.value == before, "the lane answered a request it should have declined")
            #expect(answers.map(\.status) == [200, 401, 403, 415, 422, 404, 404, 404, 200], "\(answers.map(\.status))")
            let items = try JSONParser.parse(answers[0].body)["items"]
            guard case .array(let results)? = items, results.count == 2 else { Issue.record("\(items as Any)"); return }
            #expect(results[0]["error"]?["status"] == .integer(404))
            #expect(results[1]["contentType"] == .integer(110))
            for answer in answers[1...6] { #expect(answer.header("content-type") == "application/problem+json") }
        }
    }

    /// Requests arriving a few bytes at a time (here split at every third byte, head and body alike) are answered
    /// from the bytes once complete, with what a request sent whole gets.
    @Test func theByteLaneReadsRequestsSplitAnywhere() async throws {
        try await TestService.runLive(idleTimeout: .seconds(30)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let gateway = ["Authorization: Bearer \(TestService.gatewayToken)", "Content-Type: application/json"]
            let requests = [
                Self.request("GET", "/v1/catalog", headers: ["Accept-Encoding: gzip", "If-None-Match: \"nope\""]),
                Self.request("POST", "/v1/resolve", headers: gateway, body: #"{"items":[{"kind":"sticker","id":"pk-s0"}]}"#),
            ]
            for request in requests {
                let whole = try await Self.exchange(port: port, [request])
                let before = components.byteLaneAnswers.value
                let raw = try RawHTTP(port: port)
                let bytes = Array(request.utf8)
                for start in stride(from: 0, to: bytes.count, by: 3) {
                    try await raw.send(Array(bytes[start..<min(bytes.count, start + 3)]))
                    try await Task.sleep(for: .milliseconds(2))
                }
                try await raw.send(Self.closing)
                let (answer, _) = await raw.readBytesUntilClosed()
                let split = try #require(RawResponse.parse(answer))
                #expect(split.count == 2)
                #expect(split.first == whole.first, "\(request.prefix { $0 != "\r" })")
                #expect(components.byteLaneAnswers.value == before + 1)
            }
        }
    }

    /// After the first request the byte lane leaves to the decoder, the connection stays with the decoder: later
    /// requests are answered behind it (by the router while it owns a request, then by the lane there), in order.
    @Test func afterAHandOverTheDecoderKeepsTheConnection() async throws {
        try await TestService.runLive(idleTimeout: .seconds(30)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let catalog = Array(try await client.execute(uri: "/v1/catalog", method: .get).body.readableBytesView)
            let lanes = components.fastLaneAnswers.value
            let bytes = components.byteLaneAnswers.value
            let raw = try RawHTTP(port: port)
            try await raw.send(Self.request("GET", "/v1/catalog") + Self.request("GET", "/v1/catalog", headers: ["Connection: keep-alive"]))
            // Both answers may arrive in one read: wait for two.
            let (head, ended) = try await RawHTTP.offThread { raw.readBlocking(until: { (RawResponse.parse($0)?.count ?? 0) >= 2 }) }
            #expect(ended == .enough)
            let firstTwo = try #require(RawResponse.parse(head))
            #expect(firstTwo.map(\.status) == [200, 200])
            for answer in firstTwo { #expect(answer.body == catalog) }
            try await raw.send(Self.request("GET", "/v1/catalog") + Self.request("GET", "/v1/gif-config") + Self.closing)
            let (rest, _) = await raw.readBytesUntilClosed()
            let answers = try #require(RawResponse.parse(rest))
            #expect(answers.map(\.status) == [200, 200, 200])
            #expect(answers.first?.body == catalog)
            #expect(try JSONParser.parse(answers[1].body)["provider"] != nil)
            // One from the bytes, the router's, then two by the lane behind the decoder (and the router's health check).
            #expect(components.byteLaneAnswers.value == bytes + 1)
            #expect(components.fastLaneAnswers.value == lanes + 3)
        }
    }

    /// The end-of-head search (which skips ahead) against a plain search, on random runs of CR, LF and letters.
    @Test func theHeadEndIsFoundWhereverItIs() {
        // A seeded xorshift, so a failure names input that can be reproduced.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let alphabet: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, UInt8(ascii: "a")]
        for _ in 0..<20_000 {
            let count = Int(next() % 40)
            let bytes = (0..<count).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            let expected = bytes.count < 4 ? nil : (0...(bytes.count - 4)).first { bytes[$0..<($0 + 4)].elementsEqual([0x0D, 0x0A, 0x0D, 0x0A]) }.map { $0 + 4 }
            let found = bytes.withUnsafeBytes { RawRequestParser.headLength($0) }
            #expect(found == expected, "\(bytes)")
        }
    }

    /// What the parser reads and what it leaves alone.
    @Test func theParserReadsOnlyWhatIsUnambiguous() throws {
        func parse(_ text: String) -> RawRequestParser.Outcome { Array(text.utf8).withUnsafeBytes { RawRequestParser.parse($0) } }
        guard case .head(let head) = parse("GET /v1/catalog?x=1 HTTP/1.1\r\nhost: a.example\r\nIf-None-Match:  \"t\" \t\r\nX-Empty:\r\n\r\nrest") else {
            Issue.record("a plain GET was not read")
            return
        }
        #expect(head.length == 82)  // 30 + 17 + 23 + 10 + 2, counted by hand
        #expect(head.contentLength == 0)
        #expect(head.request.method == .get && head.request.path == "/v1/catalog?x=1" && head.request.authority == "a.example")
        #expect(head.request.headerFields[.ifNoneMatch] == "\"t\"")
        #expect(head.request.headerFields.count == 2)
        guard case .head(let post) = parse("POST /v1/resolve HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n") else {
            Issue.record("a POST was not read")
            return
        }
        #expect(post.contentLength == 12)
        if case .incomplete = parse("GET /v1/catalog HTTP/1.1\r\nHost: a\r\n") {} else { Issue.record("a partial head was not incomplete") }
        let declined = [
            "GET /v1/catalog HTTP/1.0\r\nHost: a\r\n\r\n", "PUT /v1/catalog HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET v1/catalog HTTP/1.1\r\nHost: a\r\n\r\n", "GET /v1/catalog HTTP/1.1\r\n\r\n",
            "GET /v1/catalog HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "GET /v1/catalog HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
            "POST /v1/resolve HTTP/1.1\r\nHost: a\r\n\r\n", "POST /v1/resolve HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
            "POST /v1/resolve HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", "POST /v1/resolve HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET /v1/catalog HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", "GET /v1/catalog HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
            "GET /v1/catalog HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", "GET /v1/catalog HTTP/1.1\r\nHost: a\r\nX: a\nb\r\n\r\n",
            "GET /v1/catalog HTTP/1.1\r\nHost: a\r\nX: caf\u{E9}\r\n\r\n", "GET /v1/catalog HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n",
            "GET /v1/caf\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n", "GET /v1/catalog HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X: y\r\n", count: 65) + "\r\n",
            "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\n",
        ]
        for text in declined {
            if case .decline = parse(text) {} else { Issue.record("not declined: \(text.prefix(80))") }
        }
    }

    /// What the byte lane does not read — unusual framing, versions, methods or header bytes — reaches the decoder
    /// untouched: the answer is the decoder's and the router's (or the lane's behind the decoder), never the byte
    /// lane's. Each request on a connection of its own, as some of these end it.
    @Test func unusualRequestsAreLeftToTheDecoder() async throws {
        try await TestService.runLive(idleTimeout: .seconds(30)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let resolveBody = #"{"items":[{"kind":"sticker","id":"pk-s0"}]}"#
            let chunked = "POST /v1/resolve HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(TestService.gatewayToken)\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(resolveBody.utf8.count, radix: 16) + "\r\n" + resolveBody + "\r\n0\r\n\r\n"
            let cases: [(request: String, status: Int?)] = [
                (chunked, 200),
                ("GET /v1/catalog HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", 200),
                ("GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: example.com\r\n\r\n", nil),
                ("GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Folded: a\r\n b\r\n\r\n", nil),
                ("GET /v1/catalog HTTP/1.1\nHost: 127.0.0.1\n\n", nil),
                ("get /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", nil),
                ("GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Name: caf\u{E9}\r\n\r\n", nil),
                ("GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Name: x\r\n\r\n", 400),
                ("GET /v1/catalog HTTP/1.1\r\n\r\n", nil),
                ("OPTIONS /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://a.example\r\n\r\n", nil),
            ]
            for (request, status) in cases {
                let before = components.byteLaneAnswers.value
                let raw = try RawHTTP(port: port)
                // The health check closes connections the request leaves open.
                try await raw.send(request + Self.closing)
                let (answer, _) = await raw.readBytesUntilClosed()
                let line = request.prefix { $0 != "\r" && $0 != "\n" }
                let responses = RawResponse.parse(answer)
                #expect(responses?.isEmpty == false, "\(line): no answer")
                if let status { #expect(responses?.first?.status == status, "\(line): \(responses?.first?.status as Any)") }
                #expect(components.byteLaneAnswers.value == before, "\(line) was answered from the bytes")
            }
        }
    }

    @Test func pipelinedAnswersKeepTheirOrderBehindARouterRequest() async throws {
        try await TestService.runLive(idleTimeout: .seconds(30)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let catalog = try await client.execute(uri: "/v1/catalog", method: .get)
            // The changes feed reads PostgreSQL; the catalog and pack reads behind it must not overtake it.
            let answers = try await Self.exchange(port: port, [
                Self.request("GET", "/v1/catalog/changes?since=0"), Self.request("GET", "/v1/catalog"), Self.request("GET", "/v1/catalog/packs/pk"),
                Self.request("GET", "/v1/catalog/changes?since=1"), Self.request("GET", "/v1/catalog"),
            ])
            #expect(answers.map(\.status) == [200, 200, 200, 200, 200])
            #expect(try JSONParser.parse(answers[0].body)["since"] == .integer(0))
            #expect(answers[1].body == Array(catalog.body.readableBytesView))
            #expect(try JSONParser.parse(answers[2].body)["id"] == .string("pk"))
            #expect(try JSONParser.parse(answers[3].body)["since"] == .integer(1))
            #expect(answers[4].body == Array(catalog.body.readableBytesView))
        }
    }

    @Test func aBusyLaneConnectionOutlivesTheIdleTimeout() async throws {
        try await Self.busy(throughTheLane: true)
    }

    /// The same through the router, which the connection-state handler has always seen.
    @Test func aBusyRouterConnectionOutlivesTheIdleTimeout() async throws {
        try await Self.busy(throughTheLane: false)
    }

    /// A request every 250 ms for 7 s with a 3 s idle timeout (gaps stay well under it even on a loaded machine).
    /// That an idle connection is closed is `HTTPAbuseTests.slowClientsAreCutOffByTheIdleTimeout`; checking it here
    /// too, after the busy phase, failed now and then for lane and router connections alike, only while the whole
    /// suite ran in parallel (left for later: see the issue note).
    static func busy(throughTheLane: Bool) async throws {
        try await TestService.runLive(idleTimeout: .seconds(3)) { port, _, components in
            let raw = try RawHTTP(port: port)
            let before = components.fastLaneAnswers.value
            let beforeBytes = components.byteLaneAnswers.value
            let started = ContinuousClock.now
            let rounds = 28
            for round in 0..<rounds {
                try await raw.send(Self.request("GET", "/v1/catalog", headers: throughTheLane ? [] : ["Connection: keep-alive"]))
                let sent = ContinuousClock.now
                let answer: RawResponse
                do {
                    answer = try await RawHTTP.offThread { try raw.readOneResponse() }
                } catch {
                    Issue.record("round \(round): \(error), \(ContinuousClock.now - sent) after sending, \(ContinuousClock.now - started) in")
                    return
                }
                #expect(answer.status == 200)
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(components.fastLaneAnswers.value == before + (throughTheLane ? rounds : 0))
            #expect(components.byteLaneAnswers.value == beforeBytes + (throughTheLane ? rounds : 0))
        }
    }
}

extension RawHTTP {
    /// Reads exactly one response (no HEAD) on a kept-alive connection.
    func readOneResponse() throws -> RawResponse {
        let (bytes, ended) = readBlocking(until: { RawResponse.parse($0)?.count == 1 })
        guard ended == .enough, let response = RawResponse.parse(bytes)?.first else {
            throw Failure(reason: "connection ended (\(ended)) after \(bytes.count) bytes")
        }
        return response
    }
}
