import CatalogCore
import CatalogTestSupport
import Testing

@Suite("Image formats are recognised from their bytes and walked end to end")
struct ImageInspectorTests {
    @Test func seedImagesAreRecognised() throws {
        let webp = try ImageInspector.inspect(ImageFactory.seed("blobs", "blob-happy.webp"))
        #expect(webp == InspectedImage(format: .webp, width: 512, height: 512, frameCount: 1))
        let png = try ImageInspector.inspect(ImageFactory.seed("weather", "weather-sun.png"))
        #expect(png == InspectedImage(format: .png, width: 512, height: 512, frameCount: 1))
        let animated = try ImageInspector.inspect(ImageFactory.seed("bouncy", "bouncy-red.webp"))
        #expect(animated.format == .webp && animated.frameCount == 12 && animated.animated)
    }

    @Test func builtImages() throws {
        #expect(try ImageInspector.inspect(ImageFactory.png(width: 300, height: 200)) == InspectedImage(format: .png, width: 300, height: 200, frameCount: 1))
        #expect(try ImageInspector.inspect(ImageFactory.png(width: 64, height: 64, frames: 5)) == InspectedImage(format: .apng, width: 64, height: 64, frameCount: 5))
        #expect(try ImageInspector.inspect(ImageFactory.gif(width: 320, height: 240, frames: 3)) == InspectedImage(format: .gif, width: 320, height: 240, frameCount: 3))
        #expect(try ImageInspector.inspect(ImageFactory.webpLossless(width: 512, height: 300)) == InspectedImage(format: .webp, width: 512, height: 300, frameCount: 1))
        #expect(try ImageInspector.inspect(ImageFactory.webpAnimated(width: 128, height: 128, frames: 4)) == InspectedImage(format: .webp, width: 128, height: 128, frameCount: 4))
    }

    @Test func hugeClaimsAreReadWithoutDecoding() throws {
        let claim = ImageFactory.png(width: 100_000, height: 100_000, pixels: false)
        #expect(try ImageInspector.inspect(claim) == InspectedImage(format: .png, width: 100_000, height: 100_000, frameCount: 1))
    }

    @Test(arguments: [
        ("svg", Array(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8)),
        ("html", Array("<!doctype html><html><body>hi</body></html>".utf8)),
        ("jpeg", [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10] as [UInt8]),
        ("empty", []),
    ])
    func nonImagesAreRefused(name: String, bytes: [UInt8]) {
        #expect(throws: ImageError.unsupportedFormat) { try ImageInspector.inspect(bytes) }
    }

    @Test func truncatedFilesAreRefused() {
        let png = ImageFactory.png(width: 100, height: 100)
        let webp = ImageFactory.seed("blobs", "blob-happy.webp")
        let gif = ImageFactory.gif(width: 10, height: 10, frames: 2)
        for bytes in [Array(png.prefix(png.count - 20)), Array(webp.prefix(webp.count / 2)), Array(gif.dropLast())] {
            #expect(throws: ImageError.self) { try ImageInspector.inspect(bytes) }
        }
    }

    @Test func polyglotsAndTrailingDataAreRefused() {
        let html = Array("<html><script>alert(1)</script></html>".utf8)
        #expect(throws: ImageError.corrupt("data after the GIF trailer")) { try ImageInspector.inspect(ImageFactory.gif(width: 1, height: 1) + html) }
        #expect(throws: ImageError.corrupt("data after the PNG IEND chunk")) { try ImageInspector.inspect(ImageFactory.png(width: 8, height: 8) + html) }
        #expect(throws: ImageError.self) { try ImageInspector.inspect(ImageFactory.webpLossless(width: 8, height: 8) + html) }
    }

    @Test func badCRCIsRefused() {
        var png = ImageFactory.png(width: 8, height: 8)
        png[20] ^= 0xFF
        #expect(throws: ImageError.corrupt("PNG chunk IHDR has a bad CRC")) { try ImageInspector.inspect(png) }
    }

    @Test func frameCountIsCappedAtTheLimit() throws {
        let atLimit = ImageFactory.webpAnimated(width: 64, height: 64, frames: CatalogLimits.maximumFrames)
        #expect(try ImageInspector.inspect(atLimit).frameCount == CatalogLimits.maximumFrames)
        #expect(throws: ImageError.tooManyFrames(CatalogLimits.maximumFrames + 1)) {
            try ImageInspector.inspect(ImageFactory.webpAnimated(width: 64, height: 64, frames: CatalogLimits.maximumFrames + 1))
        }
        #expect(throws: ImageError.tooManyFrames(3000)) { try ImageInspector.inspect(ImageFactory.png(width: 64, height: 64, frames: 3000, pixels: false)) }
        #expect(throws: ImageError.tooManyFrames(CatalogLimits.maximumFrames + 1)) {
            try ImageInspector.inspect(ImageFactory.gif(width: 8, height: 8, frames: CatalogLimits.maximumFrames + 1))
        }
    }
}
