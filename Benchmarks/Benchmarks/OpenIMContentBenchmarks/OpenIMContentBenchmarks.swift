import Benchmark
import OpenIMContent

// Encode and decode of one sticker: the work the gateway and the webhooks do per message.
let sticker = CatalogPayload.sticker(StickerPayload(
    packId: "cats", stickerId: "cat-wave",
    url: "https://cdn.example.com/v1/assets/0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9.webp",
    mime: "image/webp", width: 512, height: 512, animated: false, emoji: "👋"
))
let encodedContent = String(decoding: MessageContent.custom(try! MessageEncoder.custom(sticker, catalogVersion: 42)).jsonBytes, as: UTF8.self)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .throughput], maxDuration: .seconds(3))

    Benchmark("Encode sticker → custom message content bytes") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try MessageEncoder.customContentBytes(sticker, catalogVersion: 42))
        }
    }

    Benchmark("Encode sticker → CustomElem, then its content bytes") { benchmark in
        for _ in benchmark.scaledIterations {
            let elem = try MessageEncoder.custom(sticker, catalogVersion: 42)
            blackHole(MessageContent.custom(elem).jsonBytes)
        }
    }

    Benchmark("Decode webhook content → sticker (two JSON layers)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try MessageDecoder.webhookContent(contentType: 110, content: encodedContent))
        }
    }

    Benchmark("Encode sticker → full send_msg body bytes") { benchmark in
        for _ in benchmark.scaledIterations {
            let content = try MessageEncoder.content(sticker, format: .custom, catalogVersion: 42)
            let body = try SendMsgRequest(sendID: "user_001", conversationID: "grp_42", sessionType: .group, senderPlatformID: 1, content: content, senderNickname: "Alice")
            blackHole(body.jsonBytes)
        }
    }
}
