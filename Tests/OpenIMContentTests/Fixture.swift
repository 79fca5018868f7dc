import Foundation
import OpenIMContent

/// Loads a hand-written golden vector from `Fixtures/`, without its trailing newline.
func fixture(_ name: String) throws -> String {
    guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "json") else {
        throw FixtureMissing(name: name)
    }
    var text = try String(contentsOf: url, encoding: .utf8)
    while text.hasSuffix("\n") { text.removeLast() }
    return text
}

struct FixtureMissing: Error { let name: String }

let stickerURL = "https://cdn.example.com/v1/assets/0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9.webp"

let catWave = StickerPayload(
    packId: "cats", stickerId: "cat-wave", url: stickerURL, mime: "image/webp", width: 512, height: 512,
    animated: false, emoji: "👋"
)

let klipyGIF = GIFPayload(
    provider: "klipy", providerId: "123", url: "https://static.klipy.com/ii/abc/123.gif",
    mp4Url: "https://static.klipy.com/ii/abc/123.mp4", previewUrl: "https://static.klipy.com/ii/abc/123-tiny.gif",
    width: 320, height: 200
)

func text(_ content: MessageContent) -> String {
    String(decoding: content.jsonBytes, as: UTF8.self)
}
