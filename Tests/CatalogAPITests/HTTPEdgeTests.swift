@testable import CatalogAPI
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import OpenIMContent
import Synchronization
import Testing

/// The HTTP edges of issue #18, each on a raw socket: `Host` rules, interim answers only after authentication and
/// earlier answers, persistence on both paths, heads the lane cannot read answered at once, the access log's lines.
@Suite("HTTP edges: Host, 100-continue, persistence, access log")
struct HTTPEdgeTests {
    static let resolveBody = #"{"items":[{"kind":"sticker","id":"pk-s0"}]}"#

    /// Sends `text`, reads until the connection closes or `enough`; what arrived and how it ended.
    static func send(_ port: Int, _ text: String, until enough: @escaping @Sendable ([UInt8]) -> Bool = { _ in false }) async throws -> (String, RawHTTP.ReadEnd) {
        let raw = try RawHTTP(port: port)
        return try await RawHTTP.offThread {
            try raw.sendBlocking(Array(text.utf8))
            let (bytes, ended) = raw.readBlocking(until: enough)
            return (String(decoding: bytes, as: UTF8.self), ended)
        }
    }

    @Test func hostMustBeThereOnceInHTTP11() async throws {
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            for (request, expected) in [
                ("GET /v1/catalog HTTP/1.1\r\n\r\n", "must carry a Host header"),
                ("GET /healthz HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", "must carry a Host header"),
                ("GET /v1/catalog HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "2 Host headers"),
                ("POST /v1/resolve HTTP/1.1\r\nHost: a\r\nhost: a\r\nContent-Length: 2\r\n\r\n{}", "2 Host headers"),
                ("GET /v1/catalog HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", "2 Host headers"),
            ] {
                let (text, ended) = try await Self.send(port, request)
                let answers = try #require(RawResponse.parse(Array(text.utf8)), "\(request.debugDescription): \(text.prefix(200))")
                #expect(answers.map(\.status) == [400], "\(request.debugDescription)")
                #expect(answers.first?.header("content-type") == "application/problem+json" && answers.first?.header("date") != nil)
                #expect(text.contains(expected), "\(request.debugDescription): \(text.suffix(300))")
                #expect(ended == .closed)
            }
            // HTTP/1.0 needs no Host (and is answered by the lane).
            let before = components.laneAnswers.value
            let (text, _) = try await Self.send(port, "GET /v1/catalog HTTP/1.0\r\n\r\n")
            #expect(RawResponse.parse(Array(text.utf8))?.map(\.status) == [200])
            #expect(components.laneAnswers.value == before + 1)
            // A refusal waits for the answers before it.
            let (pipelined, _) = try await Self.send(port, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\nGET /v1/catalog/changes?since=0 HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n")
            #expect(RawResponse.parse(Array(pipelined.utf8))?.map(\.status) == [200, 200, 400], "\(pipelined.suffix(300))")
        }
    }

    @Test func http10PersistsOnlyWithKeepAliveOnEitherPath() async throws {
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            for path in ["/v1/catalog", "/healthz"] {
                let (kept, keptEnd) = try await Self.send(port, "GET \(path) HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET \(path) HTTP/1.0\r\n\r\n")
                let keptAnswers = try #require(RawResponse.parse(Array(kept.utf8)))
                #expect(keptAnswers.map(\.status) == [200, 200], "\(path)")
                #expect(keptAnswers.map { $0.header("connection") } == ["keep-alive", "close"], "\(path)")
                #expect(keptEnd == .closed)
            }
        }
    }

    /// An upgrade the service does not take (curl --http2's h2c offer over http://): answered as HTTP/1.1 with
    /// `Connection: close`, and the connection closes at once — NIO's decoder reads nothing after such a request, so
    /// a request behind it used to wait for the idle timeout (600 s here: the raw client's 120 s would fail first).
    @Test func anUpgradeNotTakenClosesTheConnectionAfterItsAnswer() async throws {
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            for offer in [
                "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n",
                "Connection: keep-alive, upgrade\r\nUpgrade: websocket\r\n",
            ] {
                let (text, ended) = try await Self.send(port, "GET /v1/catalog HTTP/1.1\r\nHost: a\r\n\(offer)\r\nGET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
                let answers = try #require(RawResponse.parse(Array(text.utf8)), "\(text.prefix(200))")
                #expect(answers.map(\.status) == [200], "\(offer)")
                #expect(answers.first?.header("connection") == "close", "\(offer)")
                #expect(ended == .closed, "\(offer)")
            }
            // `Upgrade` without the `upgrade` connection option is no upgrade: the connection goes on.
            let (text, _) = try await Self.send(port, "GET /v1/catalog HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(RawResponse.parse(Array(text.utf8))?.map(\.status) == [200, 200])
        }
    }

    /// `Connection: close` on the lane: the answer says so, the connection closes, and requests pipelined after it
    /// are not answered.
    @Test func closeOnTheLaneEndsTheConnection() async throws {
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let before = components.laneAnswers.value
            let (text, ended) = try await Self.send(
                port, "GET /v1/catalog HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, CLOSE\r\n\r\nGET /v1/gif-config HTTP/1.1\r\nHost: a\r\n\r\n"
            )
            let answers = try #require(RawResponse.parse(Array(text.utf8)))
            #expect(answers.map(\.status) == [200] && answers.first?.header("connection") == "close")
            #expect(ended == .closed)
            #expect(components.laneAnswers.value == before + 1)
        }
    }

    /// A head with bare-LF line ends is answered at once (by the decoder and the router), not after a timeout.
    @Test func bareLineFeedsAreAnsweredAtOnce() async throws {
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, _, _ in
            let started = ContinuousClock.now
            let (text, _) = try await Self.send(port, "GET /healthz HTTP/1.1\nHost: a\n\n", until: { RawResponse.parse($0)?.isEmpty == false })
            #expect(!text.isEmpty)
            #expect(ContinuousClock.now - started < .seconds(15), "answered after \(ContinuousClock.now - started) (the idle timeout is 600 s)")
        }
    }

    /// The lane's 100: only once the route admits the request; a refused request gets its refusal without one.
    @Test func theLaneSendsContinueOnlyToAdmittedRequests() async throws {
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let head = { @Sendable (token: String) in
                "POST /v1/resolve HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: \(Self.resolveBody.utf8.count)\r\n\r\n"
            }
            let before = components.laneAnswers.value
            let raw = try RawHTTP(port: port)
            let (interim, answer) = try await RawHTTP.offThread { () -> (String, RawResponse?) in
                try raw.sendBlocking(Array(head(TestService.gatewayToken).utf8))
                let (interim, _) = raw.readBlocking { String(decoding: $0, as: UTF8.self).hasSuffix("\r\n\r\n") }
                try raw.sendBlocking(Array(Self.resolveBody.utf8))
                return (String(decoding: interim, as: UTF8.self), try? raw.readOneResponse())
            }
            #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n")
            #expect(answer?.status == 200)
            #expect(components.laneAnswers.value == before + 1)
            // The admin token on the gateway's route: refused (403) without a 100, and the connection closes.
            let (refused, ended) = try await Self.send(port, head(TestService.adminToken))
            #expect(refused.hasPrefix("HTTP/1.1 403 "), "\(refused.prefix(120))")
            #expect(!refused.contains("100 Continue") && ended == .closed)
        }
    }

    /// The router's 100: after authentication passed (the body is asked for), never for a refusal, and after the
    /// answers before it.
    @Test func theRouterSendsContinueAfterAuthentication() async throws {
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let upload = { @Sendable (token: String) in
                "POST /v1/admin/packs HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/zip\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"
            }
            let (refused, ended) = try await Self.send(port, upload("wrong-token-wrong-token"))
            #expect(refused.hasPrefix("HTTP/1.1 401 "), "\(refused.prefix(120))")
            #expect(!refused.contains("100 Continue") && ended == .closed)
            // Behind a request the router answers first: its answer, then the 100, then (body sent) the refusal of
            // ten bytes that are no zip.
            let raw = try RawHTTP(port: port)
            let text = try await RawHTTP.offThread { () -> String in
                try raw.sendBlocking(Array(("GET /v1/catalog/changes?since=0 HTTP/1.1\r\nHost: a\r\n\r\n" + upload(TestService.adminToken)).utf8))
                let (first, _) = raw.readBlocking { String(decoding: $0, as: UTF8.self).contains("100 Continue\r\n\r\n") }
                try raw.sendBlocking(Array("0123456789".utf8))
                let (rest, _) = raw.readBlocking { (RawResponse.parse(Array(String(decoding: $0, as: UTF8.self).utf8))?.count ?? 0) >= 1 }
                return String(decoding: first + rest, as: UTF8.self)
            }
            let changes = try #require(text.range(of: "HTTP/1.1 200 OK"))
            let interim = try #require(text.range(of: "HTTP/1.1 100 Continue\r\n\r\n"))
            #expect(changes.lowerBound < interim.lowerBound, "\(text.prefix(400))")
            #expect(text[interim.upperBound...].hasPrefix("HTTP/1.1 4"), "\(text[interim.upperBound...].prefix(200))")
        }
    }

    /// One line per request in swift-log's `StreamLogHandler` format, for the lane as for the router.
    @Test func accessLinesHaveTheLogFormat() async throws {
        try await TestService.runLive(idleTimeout: .seconds(600)) { _, client, components in
            _ = try await ResolveTests.seed(client, components)
            let captured = Mutex<[UInt8]>([])
            var logger = Logger(label: "catalog-service")
            logger.logLevel = .info
            let log = AccessLog(logger: logger) { bytes in captured.withLock { $0.append(contentsOf: bytes) } }
            let lane = RawRoutesTests.lane(components, accessLog: log)
            _ = try RawRoutesTests.raw(lane, RawRoutesTests.request("GET", "/v1/catalog", ["X-Request-Id: req-1"]))
            _ = try RawRoutesTests.raw(lane, RawRoutesTests.request("HEAD", "/v1/gif-config", []))
            log.record(method: .post, route: "/v1/admin/packs", status: 201, nanoseconds: 12_345_678) { $0.append(contentsOf: "req-3".utf8) }
            #expect(captured.withLock { $0.isEmpty }, "written before a flush")
            log.flush()
            let lines = String(decoding: captured.withLock { $0 }, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            try #require(lines.count == 4 && lines[3].isEmpty, "\(lines)")
            let stamp = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} info catalog-service: "#
            let patterns = [
                stamp + #"duration\.ms=\d+\.\d\d http\.method=GET http\.route=/v1/catalog http\.status=200 request\.id=req-1 \[CatalogAPI\] request$"#,
                stamp + #"duration\.ms=\d+\.\d\d http\.method=HEAD http\.route=/v1/gif-config http\.status=200 request\.id=[0-9a-f]{16}-[0-9a-f]+ \[CatalogAPI\] request$"#,
                stamp + #"duration\.ms=12\.35 http\.method=POST http\.route=/v1/admin/packs http\.status=201 request\.id=req-3 \[CatalogAPI\] request$"#,
            ]
            for (line, pattern) in zip(lines, patterns) {
                #expect(line.range(of: pattern, options: .regularExpression) != nil, "\(line)")
            }
            // Above info nothing is recorded.
            logger.logLevel = .warning
            let quiet = AccessLog(logger: logger) { _ in Issue.record("a line was written at warning") }
            quiet.record(method: .get, route: "/x", status: 200, nanoseconds: 1) { _ in }
            quiet.flush()
        }
    }
}
