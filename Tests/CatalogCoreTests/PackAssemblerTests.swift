import CatalogCore
import CatalogTestSupport
import Testing

@Suite("Assembling a pack checks files against the manifest and the limits")
struct PackAssemblerTests {
    func manifest(stickers: [StickerManifest], animated: Bool? = nil, tray: AssetReference = .file("tray.png")) -> PackManifest {
        PackManifest(id: "cats", title: ["en": "Cats"], description: [:], publisher: "Acme", tray: tray, status: .published,
                     position: nil, animated: animated, tags: [], stickers: stickers)
    }

    func sticker(_ id: String, _ file: String) -> StickerManifest {
        StickerManifest(id: id, asset: .file(file), emojis: ["😀"], keywords: [], label: nil)
    }

    let tray = UploadedFile(name: "tray.png", declaredType: "image/png", bytes: ImageFactory.png(width: 96, height: 96))

    func issues(_ manifest: PackManifest, _ files: [UploadedFile]) -> [FieldIssue] {
        do {
            _ = try PackAssembler.assemble(manifest: manifest, files: files, storedAssets: [:])
            return []
        } catch {
            return error.issues
        }
    }

    @Test func assemblesAndDeduplicatesSharedImages() throws {
        let image = ImageFactory.seed("blobs", "blob-happy.webp")
        let files = [tray, UploadedFile(name: "a.webp", declaredType: "image/webp", bytes: image)]
        let pack = try PackAssembler.assemble(manifest: manifest(stickers: [sticker("s-one", "a.webp"), sticker("s-two", "a.webp")]), files: files, storedAssets: [:])
        #expect(pack.stickers.count == 2)
        #expect(pack.stickers[0].asset == pack.stickers[1].asset)
        // The tray and the shared image, each once, each after its thumbnail (an image's row refers to it).
        #expect(pack.newAssets.count == 4)
        let thumbnail = try #require(pack.stickers[0].asset.thumbnail)
        #expect(thumbnail.width == 128 && thumbnail.height == 128)
        let order = pack.newAssets.map(\.descriptor.sha256)
        #expect(try #require(order.firstIndex(of: thumbnail.sha256)) < #require(order.firstIndex(of: PackAssembler.sha256Hex(image))))
        #expect(pack.newAssets.first { $0.descriptor.sha256 == thumbnail.sha256 }?.descriptor.mime == "image/webp")
        #expect(pack.stickers[0].asset.sha256 == PackAssembler.sha256Hex(image))
        #expect(!pack.animated)
    }

    @Test func dimensionsAtTheirEdges() {
        for (side, ok) in [(64, true), (63, false), (512, true), (513, false)] {
            let files = [tray, UploadedFile(name: "a.png", declaredType: nil, bytes: ImageFactory.png(width: side, height: 64))]
            #expect(issues(manifest(stickers: [sticker("s-one", "a.png")]), files).isEmpty == ok, "side \(side)")
        }
        let huge = [tray, UploadedFile(name: "a.png", declaredType: nil, bytes: ImageFactory.png(width: 100_000, height: 100_000, pixels: false))]
        #expect(issues(manifest(stickers: [sticker("s-one", "a.png")]), huge).map(\.field) == ["a.png"])
    }

    @Test func byteLimitsAtTheirEdges() {
        let base = ImageFactory.png(width: 64, height: 64)
        let padding = CatalogLimits.maximumStaticStickerBytes - base.count - 12
        let atLimit = ImageFactory.png(width: 64, height: 64, padding: padding)
        #expect(atLimit.count == CatalogLimits.maximumStaticStickerBytes)
        #expect(issues(manifest(stickers: [sticker("s-one", "a.png")]), [tray, UploadedFile(name: "a.png", declaredType: nil, bytes: atLimit)]).isEmpty)
        let over = ImageFactory.png(width: 64, height: 64, padding: padding + 1)
        #expect(issues(manifest(stickers: [sticker("s-one", "a.png")]), [tray, UploadedFile(name: "a.png", declaredType: nil, bytes: over)]).map(\.field) == ["a.png"])

        let bigTray = UploadedFile(name: "tray.png", declaredType: nil, bytes: ImageFactory.png(width: 96, height: 96, padding: CatalogLimits.maximumTrayBytes))
        let files = [bigTray, UploadedFile(name: "a.png", declaredType: nil, bytes: ImageFactory.png(width: 64, height: 64))]
        #expect(issues(manifest(stickers: [sticker("s-one", "a.png")]), files).map(\.field) == ["tray.png"])
    }

    @Test func declaredTypesMustAgreeWithTheBytes() {
        let png = ImageFactory.png(width: 64, height: 64)
        #expect(issues(manifest(stickers: [sticker("s-one", "a.png")]), [tray, UploadedFile(name: "a.png", declaredType: "image/webp", bytes: png)]).map(\.field) == ["a.png"])
        #expect(issues(manifest(stickers: [sticker("s-one", "a.webp")]), [tray, UploadedFile(name: "a.webp", declaredType: nil, bytes: png)]).map(\.field) == ["a.webp"])
        let svg = Array("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8)
        #expect(issues(manifest(stickers: [sticker("s-one", "a.png")]), [tray, UploadedFile(name: "a.png", declaredType: "image/png", bytes: svg)]).map(\.field) == ["a.png"])
    }

    @Test func missingExtraAndDuplicateFilesAreNamed() {
        let png = ImageFactory.png(width: 64, height: 64)
        #expect(issues(manifest(stickers: [sticker("s-one", "gone.png")]), [tray]).map(\.field) == ["stickers[0].file"])
        #expect(issues(manifest(stickers: [sticker("s-one", "a.png")]), [tray, UploadedFile(name: "a.png", declaredType: nil, bytes: png), UploadedFile(name: "extra.png", declaredType: nil, bytes: png)]).map(\.field) == ["extra.png"])
        #expect(issues(manifest(stickers: [sticker("s-one", "a.png")], tray: .stored(sha256: String(repeating: "a", count: 64))), [UploadedFile(name: "a.png", declaredType: nil, bytes: png)]).map(\.field) == ["tray"])
    }

    @Test func animationMustAgreeWithThePack() throws {
        let animated = UploadedFile(name: "anim.webp", declaredType: nil, bytes: ImageFactory.webpAnimated(width: 128, height: 128, frames: 3))
        let still = UploadedFile(name: "still.png", declaredType: nil, bytes: ImageFactory.png(width: 64, height: 64))
        #expect(issues(manifest(stickers: [sticker("s-one", "anim.webp")], animated: false), [tray, animated]).map(\.field) == ["anim.webp"])
        #expect(issues(manifest(stickers: [sticker("s-one", "still.png")], animated: true), [tray, still]).map(\.field) == ["animated"])
        // Undeclared, a pack may mix them (as Telegram's do); it is then an animated pack.
        let mixed = try PackAssembler.assemble(manifest: manifest(stickers: [sticker("s-one", "anim.webp"), sticker("s-two", "still.png")]), files: [tray, animated, still], storedAssets: [:])
        #expect(mixed.animated)
        #expect(issues(manifest(stickers: [sticker("s-one", "anim.webp")], animated: true), [tray, animated]).isEmpty)
    }
}
