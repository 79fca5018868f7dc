@testable import CatalogAPI
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// The catalog's conditional reads answered from bytes prepared per version: the same bytes the lane's general
/// path (the route handlers and `FastLane.answer`) gives, and only for requests that path would answer.
@Suite("Prepared reads: catalog revalidation from prepared bytes, byte for byte as the lane answers")
struct PreparedReadsTests {
    /// A lane over the running service's routes and snapshot, logging only warnings (prepared answers on).
    static func lane(_ components: CatalogServiceComponents, prepared: FastLaneCounter = FastLaneCounter()) -> FastLane {
        var logger = Logger(label: "prepared-test")
        logger.logLevel = .warning
        return FastLane(
            routes: buildRouter(components: components).1, serverName: "catalog-service", logger: logger, answered: FastLaneCounter(),
            preparedAnswers: prepared
        )
    }

    /// The prepared answer to `request`, nil when it is left to the general path.
    static func prepared(_ lane: FastLane, _ request: String) throws -> [UInt8]? {
        let prepared = try #require(lane.prepared)
        var state = PreparedReads.ConnectionState()
        let outcome = Array(request.utf8).withUnsafeBytes {
            prepared.answer($0, startNanoseconds: DispatchTime.now().uptimeNanoseconds, allocator: ByteBufferAllocator(), connection: &state)
        }
        guard case .answered(let consumed, var head, let body) = outcome else { return nil }
        #expect(consumed == request.utf8.count)
        if var body { head.writeBuffer(&body) }
        return Array(head.readableBytesView)
    }

    /// What the byte lane's general path answers: parser, route, handler, `FastLane.answer`, `ResponseWriter`.
    static func general(_ lane: FastLane, _ request: String) throws -> [UInt8]? {
        guard case .head(let head) = Array(request.utf8).withUnsafeBytes({ RawRequestParser.parse($0) }),
              let (route, captures) = lane.route(for: head.request),
              let response = lane.answer(route, head: head.request, captures: captures, body: ByteBuffer(), startNanoseconds: 0)
        else { return nil }
        var buffer = ByteBuffer()
        ResponseWriter.head(response, into: &buffer)
        if var body = response.body { buffer.writeBuffer(&body) }
        return Array(buffer.readableBytesView)
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

    static func request(_ method: String, _ target: String, _ headers: [String]) -> String {
        "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n"
    }

    @Test func everyVariantIsTheLanesAnswerByteForByte() async throws {
        try await TestService.run { client, components in
            _ = try await ResolveTests.seed(client, components)
            let lane = Self.lane(components)
            let catalog = try await client.execute(uri: "/v1/catalog", method: .get)
            let gzipped = try await client.execute(uri: "/v1/catalog", method: .get, headers: [.acceptEncoding: "gzip"])
            let identityTag = try #require(catalog.headers[.eTag])
            let gzipTag = try #require(gzipped.headers[.eTag])
            let gif = try await client.execute(uri: "/v1/gif-config", method: .get)
            let gifTag = try #require(gif.headers[.eTag])

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
            ]
            for (request, generatedID) in cases {
                let line = request.prefix { $0 != "\r" } + " " + request.split(separator: "\r\n").dropFirst(2).joined(separator: " | ")
                let prepared = try #require(try Self.prepared(lane, request), "not prepared: \(line)")
                let general = try #require(try Self.general(lane, request), "the lane declined: \(line)")
                #expect(Self.comparable(prepared, generatedID: generatedID) == Self.comparable(general, generatedID: generatedID), "\(line)")
            }
        }
    }

    /// Requests that are not plain revalidations are left to the general path (which answers or declines them).
    @Test func onlyPlainReadsAreTaken() async throws {
        try await TestService.run { client, components in
            _ = try await ResolveTests.seed(client, components)
            let lane = Self.lane(components)
            let leftAlone = [
                Self.request("GET", "/v1/catalog", ["If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT"]),
                Self.request("GET", "/v1/catalog", ["If-None-Match: \"a\"", "If-None-Match: \"b\""]),
                Self.request("GET", "/v1/catalog", ["Accept-Encoding: gzip", "Accept-Encoding: br"]),
                Self.request("GET", "/v1/catalog", ["X-Request-Id: a", "X-Request-Id: b"]),
                Self.request("GET", "/v1/catalog", ["Connection: keep-alive"]),
                Self.request("GET", "/v1/catalog", ["Content-Length: 0"]),
                Self.request("GET", "/v1/catalog", ["Transfer-Encoding: chunked"]),
                Self.request("GET", "/v1/catalog", ["Host: other"]),
                Self.request("GET", "/v1/catalog", ["Expect: 100-continue"]),
                Self.request("GET", "/v1/catalog", ["Upgrade: h2c"]),
                Self.request("GET", "/v1/catalog", ["TE: trailers"]),
                Self.request("GET", "/v1/catalog", ["Bad Name: x"]),
                Self.request("GET", "/v1/catalog/packs/pk", []),
                Self.request("GET", "/v1/catalog/", []),
                Self.request("GET", "/v1/catalogue", []),
                Self.request("GET", "/v1/catalog/changes?since=0", []),
                Self.request("POST", "/v1/catalog", []),
                Self.request("OPTIONS", "/v1/catalog", []),
                "GET /v1/catalog HTTP/1.0\r\nHost: a\r\n\r\n",
                "GET /v1/catalog HTTP/1.1\r\n\r\n",
                "get /v1/catalog HTTP/1.1\r\nHost: a\r\n\r\n",
                "GET /v1/catalog HTTP/1.1\r\nHost: a\r\n",
            ]
            for request in leftAlone {
                #expect(try Self.prepared(lane, request) == nil, "taken: \(request.debugDescription)")
            }
            // And nothing before the first snapshot.
            let empty = Self.lane(CatalogServiceComponents(
                database: components.database, packs: components.packs, media: components.media, usage: components.usage,
                snapshots: CatalogSnapshotStore(), configuration: components.configuration, fastLaneAnswers: FastLaneCounter(),
                byteLaneAnswers: FastLaneCounter(), preparedAnswers: FastLaneCounter()
            ))
            #expect(try Self.prepared(empty, Self.request("GET", "/v1/catalog", [])) == nil)
        }
    }

    /// Answers follow the snapshot: after a change the next read answers with the new version's bytes.
    @Test func answersFollowTheSnapshot() async throws {
        try await TestService.run { client, components in
            let lane = Self.lane(components)
            let request = Self.request("GET", "/v1/catalog", ["X-Request-Id: fixed"])
            let before = try #require(try Self.prepared(lane, request))
            _ = try await CatalogTests.publish(client, components, id: "later")
            let after = try #require(try Self.prepared(lane, request))
            #expect(before != after)
            #expect(Self.comparable(after, generatedID: false) == Self.comparable(try #require(try Self.general(lane, request)), generatedID: false))
            let body = String(decoding: after, as: UTF8.self)
            #expect(body.contains("\"id\":\"later\""))
            #expect(body.contains("Catalog-Version: \(try #require(components.snapshots.current).version)\r\n"))
        }
    }

    /// A connection numbers its requests from blocks of the shared sequence: ids stay unique across connections
    /// and with the router's.
    @Test func requestIDsStayUnique() {
        var first = PreparedReads.ConnectionState()
        var second = PreparedReads.ConnectionState()
        var seen = Set<String>()
        for round in 0..<300 {
            for index in 0..<3 {
                var buffer = ByteBuffer()
                switch index {
                case 0: first.writeNewID(into: &buffer)
                case 1: second.writeNewID(into: &buffer)
                default: buffer.writeString(RequestLoggingMiddleware.generateID())
                }
                let id = String(buffer: buffer)
                #expect(RequestLoggingMiddleware.isSane(id))
                #expect(seen.insert(id).inserted, "\(id) repeated in round \(round)")
            }
        }
    }
}
