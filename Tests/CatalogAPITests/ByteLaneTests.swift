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

@Suite("Byte lane: the hot routes answered from the bytes, as the router answers them")
struct ByteLaneTests {
    static let closing = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

    static func request(_ method: String, _ path: String, headers: [String] = [], body: String? = nil) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for header in headers { text += header + "\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n\r\n" + body } else { text += "\r\n" }
        return text
    }

    /// The same request as the router receives it: its body (none for a GET) framed with chunked coding, which the
    /// byte lane leaves to the decoder and which means the same to every route.
    static func routerVariant(_ request: String) -> String {
        let split = request.range(of: "\r\n\r\n")!
        let head = request[..<split.lowerBound].split(separator: "\r\n", omittingEmptySubsequences: false)
            .filter { !$0.lowercased().hasPrefix("content-length:") }.joined(separator: "\r\n")
        let body = request[split.upperBound...]
        let chunks = body.isEmpty ? "0\r\n\r\n" : String(body.utf8.count, radix: 16) + "\r\n" + body + "\r\n0\r\n\r\n"
        return head + "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
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
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, client, components in
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
                let before = components.laneAnswers.value
                let answers = try await Self.exchange(port: port, [laneRequest, Self.routerVariant(laneRequest)], bodyless: [isHead, isHead])
                let line = laneRequest.prefix { $0 != "\r" }
                #expect(components.laneAnswers.value == before + 1, "\(line): not answered on the lane, or its router variant was")
                #expect(answers[0] == answers[1], "\(line): lane \(answers[0].comparableHeaders) vs router \(answers[1].comparableHeaders)")
                #expect([200, 304].contains(answers[0].status), "\(line): \(answers[0].status)")
                #expect(answers[0].header("x-request-id") != nil && answers[0].header("date") != nil && answers[0].header("server") == "catalog-service")
            }
        }
    }

    @Test func requestsTheLaneDeclinesGetTheRoutersAnswer() async throws {
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let gateway = ["Authorization: Bearer \(TestService.gatewayToken)", "Content-Type: application/json"]
            let before = components.laneAnswers.value
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
            #expect(components.laneAnswers.value == before, "the lane answered a request it should have declined")
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
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let gateway = ["Authorization: Bearer \(TestService.gatewayToken)", "Content-Type: application/json"]
            let requests = [
                Self.request("GET", "/v1/catalog", headers: ["Accept-Encoding: gzip", "If-None-Match: \"nope\""]),
                Self.request("POST", "/v1/resolve", headers: gateway, body: #"{"items":[{"kind":"sticker","id":"pk-s0"}]}"#),
            ]
            for request in requests {
                let whole = try await Self.exchange(port: port, [request])
                let before = components.laneAnswers.value
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
                #expect(components.laneAnswers.value == before + 1)
            }
        }
    }

    /// After the first request the byte lane leaves to the decoder, the connection stays with the decoder and the
    /// router: later requests are answered behind it, in order.
    @Test func afterAHandOverTheDecoderKeepsTheConnection() async throws {
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let catalog = Array(try await client.execute(uri: "/v1/catalog", method: .get).body.readableBytesView)
            let lane = components.laneAnswers.value
            let raw = try RawHTTP(port: port)
            try await raw.send(Self.request("GET", "/v1/catalog") + Self.routerVariant(Self.request("GET", "/v1/catalog")))
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
            // Only the first from the bytes; the router answered the rest.
            #expect(components.laneAnswers.value == lane + 1)
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
            let found = bytes.withUnsafeBytes { RequestHeadScanner.headLength($0) }
            #expect(found == expected, "\(bytes)")
        }
    }

    /// What the head scanner reads and what it leaves alone.
    @Test func theScannerReadsOnlyWhatIsUnambiguous() throws {
        func line(_ text: String) -> RequestHeadScanner.RequestLine? { Array(text.utf8).withUnsafeBytes { RequestHeadScanner.requestLine($0) } }
        let get = try #require(line("GET /v1/catalog?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(get.method == .get && get.target == 4..<19 && !get.isHTTP10 && get.fieldsStart == 30)
        #expect(line("HEAD / HTTP/1.0\r\n\r\n")?.isHTTP10 == true)
        #expect(line("POST /v1/resolve HTTP/1.1\r\n\r\n")?.method == .post)
        for refused in ["PUT /v1/catalog HTTP/1.1\r\n", "GET v1/catalog HTTP/1.1\r\n", "get /v1/catalog HTTP/1.1\r\n", "GET /v1/catalog HTTP/2.0\r\n",
                        "GET /v1/catalog HTTP/1.1\n", "GET /v1/caf\u{E9} HTTP/1.1\r\n", "GET /" + String(repeating: "a", count: 2048) + " HTTP/1.1\r\n"] {
            #expect(line(refused) == nil, "\(refused.prefix(40))")
        }
        func hopeless(_ text: String) -> Bool { Array(text.utf8).withUnsafeBytes { RequestHeadScanner.cannotBecomeAHead($0) } }
        #expect(!hopeless("G") && !hopeless("GET /v1/cat") && !hopeless("HEAD / HTTP/1.1\r\nHost: a\r\n") && !hopeless("POST"))
        #expect(hopeless("PUT /") && hopeless("get /") && hopeless("GET / HTTP/1.1\nHost: a") && hopeless("GET / HTTP/1.1\r\nHost: a\n"))
        func options(_ text: String) -> (close: Bool, keepAlive: Bool)? {
            Array(text.utf8).withUnsafeBufferPointer { RequestHeadScanner.connectionOptions($0) }
        }
        #expect(options("close").map { $0.close && !$0.keepAlive } == true)
        #expect(options("Keep-Alive").map { !$0.close && $0.keepAlive } == true)
        #expect(options(" , CLOSE ,\tkeep-alive,").map { $0.close && $0.keepAlive } == true)
        #expect(options("").map { !$0.close && !$0.keepAlive } == true)
        #expect(options("Upgrade") == nil && options("keep-alive, TE") == nil && options("closed") == nil)
    }

    /// What the byte lane does not read — unusual framing, versions, methods or header bytes — reaches the decoder
    /// untouched: the answer is the decoder's and the router's (or the lane's behind the decoder), never the byte
    /// lane's. Each request on a connection of its own, as some of these end it.
    @Test func unusualRequestsAreLeftToTheDecoder() async throws {
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let resolveBody = #"{"items":[{"kind":"sticker","id":"pk-s0"}]}"#
            let chunked = "POST /v1/resolve HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(TestService.gatewayToken)\r\n"
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(resolveBody.utf8.count, radix: 16) + "\r\n" + resolveBody + "\r\n0\r\n\r\n"
            let cases: [(request: String, status: Int?)] = [
                (chunked, 200),
                ("GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: example.com\r\n\r\n", 400),
                ("GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Folded: a\r\n b\r\n\r\n", nil),
                ("GET /v1/catalog HTTP/1.1\nHost: 127.0.0.1\n\n", nil),
                ("get /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", nil),
                ("GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Name: caf\u{E9}\r\n\r\n", nil),
                ("GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Name: x\r\n\r\n", 400),
                ("GET /v1/catalog HTTP/1.1\r\n\r\n", 400),
                ("GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n", 200),
                ("OPTIONS /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://a.example\r\n\r\n", nil),
            ]
            for (request, status) in cases {
                let before = components.laneAnswers.value
                let raw = try RawHTTP(port: port)
                // The health check closes connections the request leaves open; a refused request's connection, and
                // an ignored upgrade's, close after its answer.
                try await raw.send(request + Self.closing)
                let (answer, _) = await raw.readBytesUntilClosed()
                let line = request.prefix { $0 != "\r" && $0 != "\n" }
                let responses = RawResponse.parse(answer)
                #expect(responses?.isEmpty == false, "\(line): no answer")
                if let status { #expect(responses?.first?.status == status, "\(line): \(responses?.first?.status as Any)") }
                #expect(components.laneAnswers.value == before, "\(line) was answered from the bytes")
            }
        }
    }

    @Test func pipelinedAnswersKeepTheirOrderBehindARouterRequest() async throws {
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, client, components in
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

    /// A request every 250 ms for 7 s with a 3 s idle timeout. The client runs on a thread of its own, sleeping
    /// there: awaiting its sleeps and reads from a task let the gaps grow past the idle timeout whenever a full
    /// parallel run kept Swift's two pool threads busy (20 concurrent uploads), and the service rightly closed the
    /// connection as idle. That an idle connection is closed is `HTTPAbuseTests.slowClientsAreCutOffByTheIdleTimeout`.
    static func busy(throughTheLane: Bool) async throws {
        try await TestService.runLive(idleTimeout: .seconds(3)) { port, _, components in
            let raw = try RawHTTP(port: port)
            let before = components.laneAnswers.value
            let rounds = 28
            let plain = Self.request("GET", "/v1/catalog", headers: ["Connection: keep-alive"])
            let request = Array((throughTheLane ? plain : Self.routerVariant(plain)).utf8)
            let failure = try await RawHTTP.offThread { () -> String? in
                let started = ContinuousClock.now
                for round in 0..<rounds {
                    let sent = ContinuousClock.now
                    do {
                        try raw.sendBlocking(request)
                        let answer = try raw.readOneResponse()
                        guard answer.status == 200 else { return "round \(round): status \(answer.status)" }
                    } catch {
                        return "round \(round): \(error), \(ContinuousClock.now - sent) after sending, \(ContinuousClock.now - started) in"
                    }
                    Thread.sleep(forTimeInterval: 0.25)
                }
                return nil
            }
            if let failure { Issue.record("\(failure)") }
            #expect(components.laneAnswers.value == before + (throughTheLane ? rounds : 0))
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
