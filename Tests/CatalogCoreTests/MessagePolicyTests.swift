import CatalogCore
import Foundation
import OpenIMContent
import Testing

@Suite("Message policy: what the before-send webhook allows and rejects, from the snapshot alone")
struct MessagePolicyTests {
    static let base = "https://cdn.example.com"
    static let waveSha = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
    static let owlSha = String(repeating: "cc", count: 32)

    static func asset(_ sha: String) -> AssetDescriptor {
        AssetDescriptor(sha256: sha, mime: "image/webp", byteSize: 1000, width: 512, height: 512, frameCount: 1)
    }

    static func pack(_ id: String, _ status: PackStatus, sticker: String, sha: String) -> StoredPack {
        StoredPack(
            id: id, title: ["en": id], description: [:], publisher: "Acme", tray: asset(String(repeating: "ee", count: 32)), status: status,
            position: 0, animated: false, tags: [], revision: 1, createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0),
            stickers: [StoredSticker(id: sticker, asset: asset(sha), emojis: ["👋"], keywords: [], label: nil)]
        )
    }

    static let gif = GIFConfiguration(
        provider: .klipy, enabled: true, apiBase: "https://api.klipy.com/api/v1", clientKey: "k", allowedHosts: ["static.klipy.com"]
    )

    static let snapshot = CatalogSnapshot(
        content: CatalogContent(
            version: 42, changedAt: Date(timeIntervalSince1970: 1_790_000_000),
            packs: [pack("cats", .published, sticker: "cat-wave", sha: waveSha), pack("owls", .archived, sticker: "owl-hoot", sha: owlSha)],
            gif: StoredGIFConfiguration(configuration: gif, revision: 2, updatedAt: Date(timeIntervalSince1970: 0), serverApiKeySet: false)
        ),
        publicBaseURL: base
    )

    /// A custom elem's content string as OpenIM stores it, with `inner` as its `data` string.
    static func custom(_ inner: String, description: String = "[Sticker] 👋") -> String {
        let escaped = inner.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return #"{"data":"\#(escaped)","description":"\#(description)"}"#
    }

    static func sticker(id: String = "cat-wave", url: String = "https://cdn.example.com/v1/assets/\(waveSha).webp", width: Int = 512) -> String {
        custom(#"{"animated":false,"emoji":"👋","height":512,"mime":"image/webp","packId":"cats","stickerId":"\#(id)","type":"sticker","url":"\#(url)","v":1,"width":\#(width)}"#)
    }

    static func evaluate(_ contentType: Int32, _ content: String) -> MessageVerdict {
        MessagePolicy.evaluate(contentType: contentType, content: content, snapshot: snapshot, storageOrigin: "http://minio:10005")
    }

    static func code(_ verdict: MessageVerdict) -> Int32? {
        if case .reject(let code, _, _) = verdict { return code }
        return nil
    }

    @Test func publishedStickersPassAndCount() {
        #expect(Self.evaluate(110, Self.sticker()) == .allow(usage: .sticker("cat-wave")))
    }

    @Test func unknownWithdrawnAndForeignURLStickersAreRejected() {
        #expect(Self.code(Self.evaluate(110, Self.sticker(id: "cat-gone"))) == MessagePolicy.Code.unknownSticker)
        #expect(Self.code(Self.evaluate(110, Self.sticker(id: "owl-hoot"))) == MessagePolicy.Code.stickerNotPublished)
        #expect(Self.code(Self.evaluate(110, Self.sticker(url: "https://evil.example/v1/assets/x.webp"))) == MessagePolicy.Code.stickerURLNotOurs)
    }

    @Test func malformedPayloadsOfOursAreRejectedAndOthersCustomPayloadsAllowed() {
        #expect(Self.code(Self.evaluate(110, Self.custom(#"{"type":"sticker","v":1}"#))) == MessagePolicy.Code.malformedPayload)
        #expect(Self.code(Self.evaluate(110, Self.custom(#"{"type":"sticker","v":99,"stickerId":"cat-wave"}"#))) == MessagePolicy.Code.malformedPayload)
        #expect(Self.code(Self.evaluate(110, "not json")) == MessagePolicy.Code.malformedPayload)
        #expect(Self.evaluate(110, Self.custom(#"{"kind":"poll","question":"lunch?"}"#, description: "[Poll]")) == .allow(usage: nil))
        #expect(Self.evaluate(110, Self.custom("plain text data")) == .allow(usage: nil))
        #expect(Self.evaluate(101, #"{"content":"hello"}"#) == .allow(usage: nil))
        #expect(Self.evaluate(105, "not even json") == .allow(usage: nil))
    }

    @Test func gifsFollowTheConfiguration() {
        let good = Self.custom(#"{"height":200,"provider":"klipy","providerId":"123","type":"gif","url":"https://static.klipy.com/ii/abc/123.gif","v":1,"width":320}"#, description: "[GIF]")
        #expect(Self.evaluate(110, good) == .allow(usage: .gif(provider: "klipy")))
        let badHost = good.replacingOccurrences(of: "static.klipy.com", with: "evil.example")
        #expect(Self.code(Self.evaluate(110, badHost)) == MessagePolicy.Code.gifNotAllowed)
        let otherProvider = good.replacingOccurrences(of: #"\"provider\":\"klipy\""#, with: #"\"provider\":\"giphy\""#)
        #expect(Self.code(Self.evaluate(110, otherProvider)) == MessagePolicy.Code.gifNotAllowed)
    }

    @Test func mediaURLsMustBeHTTPSOrTheStorageOrigin() {
        let media = #"{"kind":"image","mediaId":"m1","mime":"image/png","size":10,"type":"media","url":"URL","v":1,"width":10,"height":10}"#
        #expect(Self.evaluate(110, Self.custom(media.replacingOccurrences(of: "URL", with: "http://minio:10005/openim/a.png"))) == .allow(usage: nil))
        #expect(Self.evaluate(110, Self.custom(media.replacingOccurrences(of: "URL", with: "https://minio.example.com/a.png"))) == .allow(usage: nil))
        #expect(Self.code(Self.evaluate(110, Self.custom(media.replacingOccurrences(of: "URL", with: "http://evil.example/a.png")))) == MessagePolicy.Code.mediaURLNotAllowed)
    }

    @Test func faceMessagesAreJudgedByTheirURL() {
        func face(_ url: String) -> String {
            let data = #"{"url":"\#(url)","width":512,"height":512}"#.replacingOccurrences(of: "\"", with: "\\\"")
            return #"{"index":-1,"data":"\#(data)"}"#
        }
        #expect(Self.evaluate(115, face("https://cdn.example.com/v1/assets/\(Self.waveSha).webp")) == .allow(usage: .sticker("cat-wave")))
        #expect(Self.code(Self.evaluate(115, face("https://cdn.example.com/v1/assets/\(Self.owlSha).webp"))) == MessagePolicy.Code.stickerNotPublished)
        let tray = String(repeating: "ee", count: 32)
        #expect(Self.code(Self.evaluate(115, face("https://cdn.example.com/v1/assets/\(tray).webp"))) == MessagePolicy.Code.assetNotASticker)
        #expect(Self.evaluate(115, face("https://emoji.example.org/smile.png")) == .allow(usage: nil))
        // A bundled emoji (index ≥ 0) is not ours.
        #expect(Self.evaluate(115, #"{"index":3,"data":""}"#) == .allow(usage: nil))
    }

    @Test func modifyRewritesOnlyStaleStickerPayloads() throws {
        #expect(MessagePolicy.refreshed(contentType: 110, content: Self.sticker(), snapshot: Self.snapshot) == nil)
        #expect(MessagePolicy.refreshed(contentType: 110, content: Self.sticker(id: "cat-gone"), snapshot: Self.snapshot) == nil)
        let stale = Self.sticker(url: "https://cdn.example.com/v1/assets/\(String(repeating: "ab", count: 32)).webp", width: 256)
        let rewritten = try #require(MessagePolicy.refreshed(contentType: 110, content: stale, snapshot: Self.snapshot))
        // The current payload, the sender's description, the snapshot's catalog version (hand-written).
        let expected = #"{"data":"{\"animated\":false,\"emoji\":\"👋\",\"height\":512,\"mime\":\"image/webp\",\"packId\":\"cats\",\"stickerId\":\"cat-wave\",\"type\":\"sticker\",\"url\":\"https://cdn.example.com/v1/assets/0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9.webp\",\"v\":1,\"width\":512}","description":"[Sticker] 👋","extension":"{\"catalogVersion\":42}"}"#
        #expect(rewritten == expected)
    }
}
