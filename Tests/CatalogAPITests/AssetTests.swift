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
}
