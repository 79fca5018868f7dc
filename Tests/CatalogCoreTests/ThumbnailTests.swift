import CatalogCore
import CatalogTestSupport
import Testing

@Suite("Thumbnails: each format's first frame, reduced to fit 128 px, as a still WebP that decodes")
struct ThumbnailTests {
    /// The thumbnail of `bytes`, decoded again: what a picker would draw.
    func thumbnail(_ bytes: [UInt8]) throws -> (Thumbnail, RGBAImage)? {
        let image = try ImageInspector.inspect(bytes)
        guard let thumbnail = try Thumbnailer.thumbnail(of: bytes, image: image) else { return nil }
        #expect(Array(thumbnail.bytes.prefix(4)) == Array("RIFF".utf8))
        #expect(try ImageInspector.inspect(thumbnail.bytes).format == .webp)
        let decoded = try Thumbnailer.decodeWebP(thumbnail.bytes)
        #expect(decoded.width == thumbnail.width && decoded.height == thumbnail.height, "the WebP holds the size it states")
        return (thumbnail, decoded)
    }

    func pixel(_ image: RGBAImage, _ x: Int, _ y: Int) -> [Int] {
        let base = (y * image.width + x) * 4
        return image.pixels[base..<base + 4].map(Int.init)
    }

    func near(_ a: [Int], _ b: [Int], within tolerance: Int) -> Bool {
        zip(a, b).allSatisfy { abs($0 - $1) <= tolerance }
    }

    @Test func realSeedImagesOfEveryStillAndAnimatedKindBecome128PixelWebP() throws {
        for (pack, file) in [("blobs", "blob-happy.webp"), ("weather", "weather-sun.png"), ("bouncy", "bouncy-red.webp")] {
            let made = try #require(try thumbnail(ImageFactory.seed(pack, file)), "\(file)")
            #expect(made.0.width == 128 && made.0.height == 128, "\(file)")
            #expect(made.0.bytes.count < ImageFactory.seed(pack, file).count, "\(file): \(made.0.bytes.count) bytes is no saving")
        }
    }

    @Test func trayIconsAreNotEnlargedAndOddShapesKeepTheirAspect() throws {
        let tray = try #require(try thumbnail(ImageFactory.seed("blobs", "tray.png")))
        #expect(tray.0.width == 96 && tray.0.height == 96)
        let wide = try #require(try thumbnail(ImageFactory.png(width: 512, height: 256)))
        #expect(wide.0.width == 128 && wide.0.height == 64)
        let tall = try #require(try thumbnail(ImageFactory.png(width: 100, height: 512)))
        #expect(tall.0.width == 25 && tall.0.height == 128)
    }

    @Test func theFirstFrameOfAGIFIsDrawnOnItsTransparentCanvas() throws {
        // ImageFactory's GIF: a black 1×1 first frame at the top-left corner of a 512×512 canvas.
        let (made, decoded) = try #require(try thumbnail(ImageFactory.gif(width: 512, height: 512, frames: 3)))
        #expect(made.width == 128 && made.height == 128)
        #expect(pixel(decoded, 64, 64)[3] == 0, "the canvas outside the frame is transparent")
        #expect(pixel(decoded, 0, 0)[3] > 0, "the frame's pixel lends its corner some opacity")
    }

    @Test func gifFramesOutsideTheirCanvasAndGIFsWithoutAnImageAreRefused() throws {
        var outside = ImageFactory.gif(width: 4, height: 4)
        // The image descriptor's left edge (bytes 1–2 after 0x2C) moved to 4: the 1×1 frame starts past the canvas.
        let descriptor = try #require(outside.firstIndex(of: 0x2C))
        outside[descriptor + 1] = 4
        let image = try ImageInspector.inspect(outside)
        #expect(throws: ImageError.self) { try Thumbnailer.thumbnail(of: outside, image: image) }
    }

    @Test func animatedWebPAndAPNGGiveTheirFirstFrame() throws {
        let webp = try #require(try thumbnail(ImageFactory.webpAnimated(width: 512, height: 512, frames: 4)))
        #expect(webp.0.width == 128)
        // ImageFactory's diagonal: red above it, blue below.
        #expect(near(pixel(webp.1, 100, 10), [0xE0, 0x60, 0x20, 255], within: 24))
        #expect(near(pixel(webp.1, 10, 100), [0x20, 0x60, 0xE0, 255], within: 24))
        let apng = try #require(try thumbnail(ImageFactory.png(width: 256, height: 256, frames: 3)))
        #expect(apng.0.width == 128 && apng.0.height == 128)
    }

    @Test func aVideoStickerGetsItsFirstFrameAsPosterWithItsAlpha() throws {
        let opaque = try #require(try thumbnail(ImageFactory.media("video-sticker.webm")))
        #expect(opaque.0.width == 128 && opaque.0.height == 128)
        #expect(pixel(opaque.1, 64, 64)[3] == 255)
        // ffmpeg's colour source 0x3366CC at half opacity: the poster is that blue, half transparent.
        let alpha = try #require(try thumbnail(ImageFactory.media("video-sticker-alpha.webm")))
        #expect(alpha.0.width == 128 && alpha.0.height == 96)
        #expect(near(pixel(alpha.1, 64, 48), [0x33, 0x66, 0xCC, 128], within: 16), "\(pixel(alpha.1, 64, 48))")
    }

    @Test func aWebMWhoseFirstFrameDoesNotDecodeHasNoPosterAndTGSHasNone() throws {
        // AnimationFactory's WebM: valid structure, frames of token bytes that are not VP9.
        let webm = AnimationFactory.webm()
        #expect(try Thumbnailer.thumbnail(of: webm, image: ImageInspector.inspect(webm)) == nil)
        var broken = ImageFactory.media("video-sticker.webm")
        let image = try ImageInspector.inspect(broken)
        // Scramble every byte of the first frame's bitstream (after the first cluster's start).
        let cluster = try #require((0..<broken.count - 4).first { broken[$0..<$0 + 4] == [0x1F, 0x43, 0xB6, 0x75] })
        for index in (cluster + 40)..<min(cluster + 4000, broken.count) { broken[index] = UInt8(truncatingIfNeeded: index &* 131) }
        #expect(try Thumbnailer.thumbnail(of: broken, image: image) == nil)
        let tgs = AnimationFactory.tgs()
        #expect(try Thumbnailer.thumbnail(of: tgs, image: ImageInspector.inspect(tgs)) == nil)
    }

    @Test func imagesWhosePixelsDoNotDecodeAreRefusedByName() throws {
        let png = ImageFactory.png(width: 64, height: 64, pixels: false)
        #expect { try Thumbnailer.thumbnail(of: png, image: ImageInspector.inspect(png)) } throws: { error in
            "\(error)".contains("PNG does not decode")
        }
        var webp = ImageFactory.webpLossless(width: 64, height: 64)
        webp.replaceSubrange(30..<webp.count, with: [UInt8](repeating: 0xFF, count: webp.count - 30))
        if let image = try? ImageInspector.inspect(webp) {
            #expect { try Thumbnailer.thumbnail(of: webp, image: image) } throws: { error in "\(error)".contains("WebP does not decode") }
        }
        let gif = Array(ImageFactory.gif(width: 8, height: 8).dropLast(4)) + [0x3B]
        if let image = try? ImageInspector.inspect(gif) {
            #expect(throws: ImageError.self) { try Thumbnailer.thumbnail(of: gif, image: image) }
        }
    }

    @Test func reductionAveragesCoveredAreaAndTransparencyLendsNoColour() throws {
        // 4×2: two opaque red columns, two transparent green ones (whose colour must not bleed in).
        var pixels: [UInt8] = []
        for _ in 0..<2 { pixels += [255, 0, 0, 255, 255, 0, 0, 255, 0, 255, 0, 0, 0, 255, 0, 0] }
        let reduced = try #require(Thumbnailer.reduced(RGBAImage(width: 4, height: 2, pixels: pixels), toFit: 1))
        #expect(reduced.width == 1 && reduced.height == 1)
        #expect(near(reduced.pixels.map(Int.init), [255, 0, 0, 128], within: 2), "\(reduced.pixels)")
        // Black and white averaged to grey; a 3→2 reduction weighs the middle pixel half to each side.
        let checker = try #require(Thumbnailer.reduced(RGBAImage(width: 2, height: 1, pixels: [0, 0, 0, 255, 255, 255, 255, 255]), toFit: 1))
        #expect(near(checker.pixels.map(Int.init), [128, 128, 128, 255], within: 2), "\(checker.pixels)")
        let thirds = try #require(Thumbnailer.reduced(RGBAImage(width: 3, height: 1, pixels: [0, 0, 0, 255, 90, 90, 90, 255, 180, 180, 180, 255]), toFit: 2))
        #expect(near(thirds.pixels.map(Int.init), [30, 30, 30, 255, 150, 150, 150, 255], within: 2), "\(thirds.pixels)")
        // What fits already is left as it is; the aspect ratio is kept.
        #expect(Thumbnailer.reduced(RGBAImage(width: 3, height: 1, pixels: [UInt8](repeating: 9, count: 12)), toFit: 8)?.pixels == [UInt8](repeating: 9, count: 12))
        #expect(Thumbnailer.fitting(width: 512, height: 100, in: 128) == (128, 25))
        #expect(Thumbnailer.fitting(width: 1, height: 512, in: 128) == (1, 128))
    }
}
