import CatalogCore
import CatalogTestSupport
import Foundation
import NIOCore
import OpenIMContent
import Testing

@Suite("Catalog snapshots are deterministic and publish only published packs")
struct CatalogSnapshotTests {
    static func asset(_ seed: UInt8, animated: Bool = false) -> AssetDescriptor {
        AssetDescriptor(sha256: String(repeating: String(format: "%02x", seed), count: 32), mime: "image/webp", byteSize: 1000, width: 512, height: 512, frameCount: animated ? 4 : 1)
    }

    static func pack(_ id: String, _ status: PackStatus, revision: Int = 1) -> StoredPack {
        StoredPack(
            id: id, title: ["zh-Hans": "猫", "en": "Cats"], description: ["en": "Cats & \"friends\""], publisher: "Acme", tray: asset(1),
            status: status, position: 0, animated: false, tags: ["a"], revision: revision, createdAt: Date(timeIntervalSince1970: 0),
            updatedAt: Date(timeIntervalSince1970: 0),
            stickers: [StoredSticker(id: "\(id)-one", asset: asset(2), emojis: ["😀"], keywords: ["k"], label: nil)]
        )
    }

    static let content = CatalogContent(
        version: 42, changedAt: Date(timeIntervalSince1970: 1_790_000_000.75),
        packs: [pack("cats", .published), pack("dogs", .draft), pack("owls", .archived), pack("bats", .published, revision: 3)]
    )

    @Test func sameContentGivesTheSameBytes() {
        let first = CatalogSnapshot(content: Self.content, publicBaseURL: "https://cdn.example.com")
        let second = CatalogSnapshot(content: Self.content, publicBaseURL: "https://cdn.example.com")
        #expect(first.catalog.identity == second.catalog.identity)
        #expect(first.catalog.gzip == second.catalog.gzip)
        #expect(first.catalog.eTag == second.catalog.eTag)
        #expect(first.catalog.eTag != first.catalog.gzipETag)
        #expect(first.packs["cats"]?.eTag == second.packs["cats"]?.eTag)
    }

    @Test func draftsAndArchivedPacksStayOut() throws {
        let snapshot = CatalogSnapshot(content: Self.content, publicBaseURL: "https://cdn.example.com")
        let json = try JSONParser.parse(snapshot.catalog.identity.readableBytesView)
        guard case .array(let packs)? = json["packs"] else { Issue.record("no packs"); return }
        #expect(packs.compactMap { if case .string(let id)? = $0["id"] { id } else { nil } } == ["cats", "bats"])
        #expect(Set(snapshot.packs.keys) == ["cats", "bats"])
        #expect(snapshot.stickers["cats-one"] != nil)
        #expect(snapshot.stickers["dogs-one"] == nil)
        #expect(snapshot.withdrawnStickers == ["dogs-one": .draft, "owls-one": .archived])
        #expect(json["version"] == .integer(42))
        #expect(json["generatedAt"] == .string("2026-09-21T14:13:20Z"))
        #expect(snapshot.lastModified == "Mon, 21 Sep 2026 14:13:20 GMT")
    }

    @Test func theGzipCopyInflatesToTheIdentityBytes() throws {
        let snapshot = CatalogSnapshot(content: Self.content, publicBaseURL: "https://cdn.example.com")
        var gzip = snapshot.catalog.gzip
        let inflated = try gzip.decompress(with: .gzip())
        #expect(inflated == snapshot.catalog.identity)
    }

    @Test func assetURLsAreContentAddressed() {
        let snapshot = CatalogSnapshot(content: Self.content, publicBaseURL: "https://cdn.example.com/catalog")
        #expect(snapshot.stickers["cats-one"]?.payload.url == "https://cdn.example.com/catalog/v1/assets/\(String(repeating: "02", count: 32)).webp")
    }

    @Test func httpDatesRoundTrip() {
        let date = Date(timeIntervalSince1970: 1_790_000_000)
        #expect(HTTPDate.format(date) == "Mon, 21 Sep 2026 14:13:20 GMT")
        #expect(HTTPDate.parse("Mon, 21 Sep 2026 14:13:20 GMT") == date)
        #expect(HTTPDate.parse("Monday, 21-Sep-26 14:13:20 GMT") == nil)
        #expect(HTTPDate.parse("garbage") == nil)
    }

    @Test func slugs() {
        #expect(Slug.isValid("cats"))
        #expect(Slug.isValid("c_a-t9"))
        #expect(!Slug.isValid("c"))
        #expect(!Slug.isValid("-cats"))
        #expect(!Slug.isValid("Cats"))
        #expect(!Slug.isValid(String(repeating: "a", count: 65)))
        #expect(Slug.isValid(String(repeating: "a", count: 64)))
    }
}
