import CatalogCore
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Assets are served by hash, cacheable forever")
struct AssetTests {
    @Test func servesBytesWithImmutableCachingAnd304() async throws {
        try await TestService.run { client, _ in
            _ = try await PackUploads.create(client, id: "pics")
            let bytes = PackUploads.image(0)
            let sha = PackAssembler.sha256Hex(bytes)
            let response = try await client.execute(uri: "/v1/assets/\(sha).png", method: .get)
            #expect(response.status == .ok)
            #expect(Array(response.body.readableBytesView) == bytes)
            #expect(response.headers[.contentType] == "image/png")
            #expect(response.headers[.contentLength] == String(bytes.count))
            #expect(response.headers[.eTag] == "\"\(sha)\"")
            #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(response.headers[.init("X-Content-Type-Options")!] == "nosniff")
            let bare = try await client.execute(uri: "/v1/assets/\(sha)", method: .get)
            #expect(bare.status == .ok)
            let conditional = try await client.execute(uri: "/v1/assets/\(sha).png", method: .get, headers: [.ifNoneMatch: "W/\"\(sha)\""])
            #expect(conditional.status == .notModified)
            #expect(conditional.body.readableBytes == 0)
            let head = try await client.execute(uri: "/v1/assets/\(sha).png", method: .head)
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            let wrongExtension = try await client.execute(uri: "/v1/assets/\(sha).gif", method: .get)
            #expect(wrongExtension.status == .notFound)
            let unknown = try await client.execute(uri: "/v1/assets/\(String(repeating: "0", count: 64))", method: .get)
            #expect(unknown.status == .notFound)
            #expect(unknown.headers[.contentType] == "application/problem+json")
            let garbage = try await client.execute(uri: "/v1/assets/..%2F..%2Fetc%2Fpasswd", method: .get)
            #expect(garbage.status == .notFound)
        }
    }

    /// Byte ranges as RFC 9110 §14 describes them, against the asset's own bytes (expected slices computed from the
    /// uploaded image, not from the service).
    @Test func singleByteRangesArePartialContent() async throws {
        try await TestService.run { client, _ in
            _ = try await PackUploads.create(client, id: "ranged")
            let bytes = PackUploads.image(1)
            let sha = PackAssembler.sha256Hex(bytes)
            let uri = "/v1/assets/\(sha).png"
            func get(_ range: String, ifRange: String? = nil) async throws -> TestResponse {
                var headers: HTTPFields = [.range: range]
                if let ifRange { headers[.ifRange] = ifRange }
                return try await client.execute(uri: uri, method: .get, headers: headers)
            }
            let cases: [(String, ArraySlice<UInt8>)] = [
                ("bytes=0-9", bytes[0..<10]), ("bytes=10-", bytes[10...]), ("bytes=-7", bytes[(bytes.count - 7)...]),
                ("bytes=5-99999999", bytes[5...]), ("bytes=-99999999", bytes[...]),
            ]
            for (range, expected) in cases {
                let answer = try await get(range)
                #expect(answer.status == .partialContent, "\(range)")
                #expect(Array(answer.body.readableBytesView) == Array(expected), "\(range)")
                #expect(answer.headers[.contentRange] == "bytes \(expected.startIndex)-\(expected.endIndex - 1)/\(bytes.count)", "\(range)")
            }
            // Past the end: 416 naming the length, as problem+json.
            let beyond = try await get("bytes=\(bytes.count)-")
            #expect(beyond.status == .rangeNotSatisfiable)
            #expect(beyond.headers[.contentRange] == "bytes */\(bytes.count)")
            #expect(beyond.headers[.contentType] == "application/problem+json")
            // Ranges this service does not honour get the whole asset: several, malformed, another unit, a stale If-Range.
            for range in ["bytes=0-1,4-5", "bytes=9-2", "bytes=abc", "items=0-1"] {
                let whole = try await get(range)
                #expect(whole.status == .ok, "\(range)")
                #expect(Array(whole.body.readableBytesView) == bytes, "\(range)")
            }
            #expect(try await get("bytes=0-9", ifRange: "\"other\"").status == .ok)
            #expect(try await get("bytes=0-9", ifRange: "\"\(sha)\"").status == .partialContent)
            let plain = try await client.execute(uri: uri, method: .get)
            #expect(plain.headers[.acceptRanges] == "bytes")
        }
    }
}
