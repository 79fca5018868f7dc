// The encode and decode of OpenIMContentBenchmarks in a plain loop, without the benchmark harness and its malloc
// interposer: `swift run -c release EncodeDecodeLoop [both|encode|onepass|elem|decode]`; also the program to run under `perf record`.
import Foundation
import OpenIMContent

let sticker = CatalogPayload.sticker(StickerPayload(
    packId: "cats", stickerId: "cat-wave",
    url: "https://cdn.example.com/v1/assets/0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9.webp",
    mime: "image/webp", width: 512, height: 512, animated: false, emoji: "👋"
))
let encodedContent = String(decoding: MessageContent.custom(try MessageEncoder.custom(sticker, catalogVersion: 42)).jsonBytes, as: UTF8.self)
let mode = CommandLine.arguments.dropFirst().first ?? "both"
let iterations = 2_000_000
var checksum = 0

if mode == "both" || mode == "encode" || mode == "onepass" {
    let start = ContinuousClock.now
    for _ in 0..<iterations {
        checksum &+= try MessageEncoder.customContentBytes(sticker, catalogVersion: 42).count
    }
    let elapsed = ContinuousClock.now - start
    print("encode (one pass): \(Double(elapsed.components.attoseconds) / 1e9 / Double(iterations) + Double(elapsed.components.seconds) * 1e9 / Double(iterations)) ns per item")
}
if mode == "both" || mode == "encode" || mode == "elem" {
    let start = ContinuousClock.now
    for _ in 0..<iterations {
        let elem = try MessageEncoder.custom(sticker, catalogVersion: 42)
        checksum &+= MessageContent.custom(elem).jsonBytes.count
    }
    let elapsed = ContinuousClock.now - start
    print("encode (elem, then bytes): \(Double(elapsed.components.attoseconds) / 1e9 / Double(iterations) + Double(elapsed.components.seconds) * 1e9 / Double(iterations)) ns per item")
}
if mode == "both" || mode == "decode" {
    let start = ContinuousClock.now
    for _ in 0..<iterations {
        if case .catalog = try MessageDecoder.webhookContent(contentType: 110, content: encodedContent) { checksum &+= 1 }
    }
    let elapsed = ContinuousClock.now - start
    print("decode: \(Double(elapsed.components.attoseconds) / 1e9 / Double(iterations) + Double(elapsed.components.seconds) * 1e9 / Double(iterations)) ns per item")
}
print("checksum \(checksum)")
