import CatalogCore
import CatalogTestSupport
import Testing

/// Telegram's TGS and WebM stickers: each rule at its edge, and broken files refused with a reason, never a crash.
@Suite("TGS animations and WebM video stickers, by Telegram's rules")
struct AnimatedStickerTests {
    typealias A = AnimationFactory

    static func manifest(_ stickers: [(id: String, file: String)], tray: String = "tray.png") -> PackManifest {
        PackManifest(id: "mixed", title: ["en": "Mixed"], description: [:], publisher: "Acme", tray: .file(tray), status: .published, position: nil,
                     animated: nil, tags: [], stickers: stickers.map { StickerManifest(id: $0.id, asset: .file($0.file), emojis: ["🙂"], keywords: [], label: nil) })
    }

    static func refusal(_ bytes: [UInt8]) -> String? {
        do {
            _ = try ImageInspector.inspect(bytes)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aTelegramTGSIsReadWithItsTiming() throws {
        let image = try ImageInspector.inspect(A.tgs())
        #expect(image == InspectedImage(format: .tgs, width: 512, height: 512, frameCount: 180, durationMilliseconds: 3000))
        #expect(image.animated)
        #expect(image.format.mime == "application/x-tgsticker" && !image.format.isPicture)
        // Non-integer in- and out-points (After Effects exports them) count whole frames.
        #expect(try ImageInspector.inspect(A.tgs(A.lottie(first: 0, end: 90))).durationMilliseconds == 1500)
    }

    @Test(arguments: [
        (A.lottie(end: 181), "3017 ms; Telegram's limit is 3000 ms"),
        (A.lottie(width: 640), "640×512 canvas; Telegram's is 512×512"),
        (A.lottie(height: 100), "512×100 canvas"),
        (A.lottie(rate: 30, end: 90), "30 frames a second; Telegram's are 60"),
        (A.lottie(marker: false), "without a numeric \"tgs\""),
        (A.lottie(first: 10, end: 10), "frames run from 10 to 10"),
        (A.lottie(extra: #","tgs":1"#), "duplicate member"),
        (#"{"tgs":1,"fr":60,"ip":0,"op":60,"w":512,"h":512}xx"#, "unexpected data after the document"),
        (#"[1,2,3]"#, "expected an object"),
        (#"{"tgs":2,"fr":60,"ip":0,"op":60,"w":512,"h":512}"#, "without Telegram's \"tgs\": 1 marker"),
        (#"{"tgs":1,"fr":60,"ip":0,"op":1e400,"w":512,"h":512}"#, "number out of range"),
        (#"{"tgs":1,"fr":60,"ip":0,"op":1e300,"w":512,"h":512}"#, "frames run from"),
    ])
    func tgsRules(json: String, expected: String) throws {
        let reason = try #require(Self.refusal(A.tgs(json)))
        #expect(reason.contains(expected), "\(reason)")
    }

    @Test func tgsSizeNestingAndBombsHaveLimits() throws {
        // 64 KiB of gzip at most: noise does not compress.
        var noise = SystemRandomNumberGenerator()
        let padding = (0..<120_000).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement(using: &noise)! }
        let big = A.tgs(A.lottie(extra: #","pad":""# + String(padding) + #"""#))
        #expect(big.count > CatalogLimits.maximumTGSBytes)
        #expect(Self.refusal(big)?.contains("Telegram's limit is 65536") == true)
        // Nesting: 64 levels at most, however small the file.
        let deep = A.lottie(extra: #","deep":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100))
        #expect(try #require(Self.refusal(A.tgs(deep))).contains("nesting deeper than 64"))
        // A gzip bomb: 40 MB of spaces in a few KB of gzip stops at the inflate cap.
        let bomb = A.gzip(Array(A.lottie(extra: #","pad":""# + String(repeating: " ", count: 40_000_000) + #"""#).utf8))
        #expect(bomb.count < CatalogLimits.maximumTGSBytes)
        #expect(Self.refusal(bomb)?.contains("inflating past") == true)
        // Many members in one object are checked for duplicates in linear time, and accepted.
        let many = (0..<15_000).map { #""k\#($0)":0"# }.joined(separator: ",")
        #expect(try ImageInspector.inspect(A.tgs(A.lottie(extra: "," + many))).format == .tgs)
    }

    @Test func brokenGzipIsRefused() throws {
        let good = A.tgs()
        for cut in [2, 10, good.count / 2, good.count - 4] {
            #expect(Self.refusal(Array(good.prefix(cut))) != nil, "cut at \(cut)")
        }
        var flipped = good
        flipped[good.count / 2] ^= 0xFF
        #expect(Self.refusal(flipped) != nil)
    }

    @Test func aVP9WebMIsReadWithItsFrames() throws {
        let image = try ImageInspector.inspect(A.webm())
        #expect(image == InspectedImage(format: .webm, width: 512, height: 512, frameCount: 90, durationMilliseconds: 3000))
        #expect(image.format.mime == "video/webm" && !image.format.isPicture)
        #expect(try ImageInspector.inspect(A.webm(tracks: [A.Track(width: 512, height: 288)])).height == 288)
        #expect(try ImageInspector.inspect(A.webm(tracks: [A.Track(width: 300, height: 512)])).width == 300)
        // An unknown-size Segment (to the end of the file) is fine; frame duration may be absent.
        #expect(try ImageInspector.inspect(A.webm(tracks: [A.Track(frameNanoseconds: nil)], unknownSizeSegment: true)).frameCount == 90)
    }

    @Test(arguments: [
        (A.webm(docType: "matroska"), "of type \"matroska\", not WebM"),
        (A.webm(tracks: [A.Track(codec: "V_VP8")]), "coded as V_VP8; video stickers are VP9"),
        (A.webm(tracks: [A.Track(), A.Track(number: 2, type: 2, codec: "A_OPUS")]), "with an audio track"),
        (A.webm(tracks: [A.Track(), A.Track(number: 2)]), "with 2 video tracks"),
        (A.webm(tracks: [A.Track(width: 511, height: 400)]), "511×400 video; one side of a video sticker is 512"),
        (A.webm(tracks: [A.Track(width: 1024, height: 512)]), "1024×512 video"),
        (A.webm(tracks: [A.Track(frameNanoseconds: 16_666_667)]), "at 60 frames a second; video stickers run at most 30"),
        (A.webm(durationMilliseconds: 3001), "3001 ms; video stickers last at most 3000 ms"),
        (A.webm(durationMilliseconds: nil), "without a duration"),
        (A.webm(durationMilliseconds: 1e308), "is a video of inf ms"),
        (A.webm(durationMilliseconds: -5), "without a duration"),
        (A.webm(frames: 0), "without a frame of its video track"),
        (A.webm(trailing: Array("<html>".utf8)), "bytes after the WebM's Segment"),
        (A.webm(frames: 200, frameBytes: 1400), "Telegram's limit for video stickers is 262144"),
    ])
    func webmRules(bytes: [UInt8], expected: String) throws {
        let reason = try #require(Self.refusal(bytes))
        #expect(reason.contains(expected), "\(reason)")
    }

    @Test func truncatedAndLyingWebMsAreRefused() throws {
        let good = A.webm()
        // Every truncation is refused (an element runs past its parent, or a header ends early).
        for cut in stride(from: 1, to: good.count, by: 7) {
            #expect(Self.refusal(Array(good.prefix(cut))) != nil, "cut at \(cut)")
        }
        // A size claiming far more than the file (2^56 - 2 bytes) is refused without reading it.
        let header = A.element(0x1A45_DFA3, A.text(0x4282, "webm"))
        let lying = header + A.idBytes(0x1853_8067) + [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE] + [0xEC, 0x80]
        #expect(try #require(Self.refusal(lying)).contains("running past its parent"))
        // An unknown-size Cluster (a live stream) is refused by name.
        let cluster = A.idBytes(0x1F43_B675) + A.unknownSize + A.unsigned(0xE7, 0)
        let live = header + A.element(0x1853_8067, cluster)
        #expect(try #require(Self.refusal(live)).contains("unknown size"))
        // An id or number longer than EBML allows.
        #expect(Self.refusal(header + [0x18, 0x53, 0x80, 0x67, 0x00]) != nil)
        #expect(Self.refusal([0x1A, 0x45, 0xDF, 0xA3, 0x00]) != nil)
    }

    @Test func uploadsNameTheFileAndTheRule() throws {
        let tray = UploadedFile(name: "tray.png", declaredType: nil, bytes: ImageFactory.png(width: 96, height: 96))
        let manifest = Self.manifest([("t-one", "wave.tgs"), ("t-two", "run.webm"), ("t-three", "still.png")])
        let files = [tray, UploadedFile(name: "wave.tgs", declaredType: "application/x-tgsticker", bytes: A.tgs()),
                     UploadedFile(name: "run.webm", declaredType: "video/webm", bytes: A.webm()),
                     UploadedFile(name: "still.png", declaredType: nil, bytes: ImageFactory.png(width: 256, height: 256))]
        // Still, animated and video stickers in one pack, as Telegram's packs mix them.
        let pack = try PackAssembler.assemble(manifest: manifest, files: files, storedAssets: [:])
        #expect(pack.stickers.map(\.asset.mime) == ["application/x-tgsticker", "video/webm", "image/png"])
        #expect(pack.animated)
        // A WebM named .tgs, and a TGS as the tray, are refused by name.
        let misnamed = [tray, UploadedFile(name: "wave.tgs", declaredType: nil, bytes: A.webm()), files[2], files[3]]
        do {
            _ = try PackAssembler.assemble(manifest: manifest, files: misnamed, storedAssets: [:])
            Issue.record("a WebM named .tgs was accepted")
        } catch {
            #expect(error.issues.map(\.field) == ["wave.tgs"])
            #expect(error.issues.first?.message.contains("is named .tgs but its bytes are video/webm") == true)
        }
        let animatedTray = Self.manifest([("t-one", "still.png")], tray: "tray.tgs")
        do {
            _ = try PackAssembler.assemble(manifest: animatedTray, files: [UploadedFile(name: "tray.tgs", declaredType: nil, bytes: A.tgs()), files[3]], storedAssets: [:])
            Issue.record("a TGS tray was accepted")
        } catch {
            #expect(error.issues.contains { $0.field == "tray.tgs" && $0.message.contains("a tray icon is a PNG, WebP or GIF") })
        }
    }
}
