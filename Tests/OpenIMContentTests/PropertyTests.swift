import OpenIMContent
import PropertyBased
import Testing

@Suite("Properties: valid items round-trip, random bytes never crash")
struct PropertyTests {
    static let identifier = Gen.letterOrNumber.string(of: 1...40)
    static let anyText = Gen.character(in: " "..."\u{D7FF}").string(of: 1...30)

    @Test func randomStickersRoundTrip() async {
        await propertyCheck(count: 300, input: Self.identifier, Self.anyText, Gen.int(in: 1...16384), Gen.int(in: 1...16384), Gen.bool) { pack, label, width, height, animated in
            let printable: String = label.filter { character in
                character.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
            }
            let stickerId: String = printable.isEmpty ? "x" : printable
            let sticker = StickerPayload(
                packId: pack, stickerId: stickerId,
                url: "https://cdn.example.com/\(pack)", mime: "image/webp", width: Int64(width), height: Int64(height),
                animated: animated, emoji: nil
            )
            let payload = CatalogPayload.sticker(sticker)
            guard let elem = try? MessageEncoder.custom(payload, catalogVersion: 1) else {
                // Only an identifier longer than the byte limit may be refused.
                #expect(sticker.stickerId.utf8.count > CatalogPayload.maximumIdentifierBytes)
                return
            }
            #expect((try? MessageDecoder.payload(from: elem)) == payload)
        }
    }

    @Test func randomGIFsRoundTrip() async {
        await propertyCheck(count: 200, input: Self.identifier, Self.identifier, Gen.int(in: 1...4096), Gen.bool) { provider, id, size, hasPreview in
            let gif = GIFPayload(
                provider: provider, providerId: id, url: "https://media.example.com/\(id).gif", mp4Url: nil,
                previewUrl: hasPreview ? "https://media.example.com/\(id)-tiny.gif" : nil, width: Int64(size), height: Int64(size)
            )
            guard let elem = try? MessageEncoder.custom(.gif(gif), catalogVersion: nil) else {
                Issue.record("a valid GIF failed to encode: \(gif)")
                return
            }
            #expect((try? MessageDecoder.payload(from: elem)) == .gif(gif))
        }
    }

    /// The one-pass custom encoder and the elem-then-bytes path agree on every item: the same bytes, or the same
    /// error. Text fields get any scalar (quotes, backslashes, controls, C1, emoji), so refusals are exercised too.
    @Test func oneStepAndTwoStepCustomEncodingAgree() async {
        // Below the surrogates (every control, quote, backslash, C1, CJK …), then astral scalars (emoji).
        let wild = Gen.character(in: "\u{0}"..."\u{D7FF}").string(of: 0...16)
        let astral = Gen.character(in: "\u{1F300}"..."\u{1FAFF}").string(of: 0...3)
        await propertyCheck(count: 500, input: wild, astral, wild, Gen.int(in: -2...70000), Gen.int(in: 0...3)) { label, pictures, keyword, size, version in
            let emoji = pictures + keyword
            let payloads: [CatalogPayload] = [
                .sticker(StickerPayload(
                    packId: "cats", stickerId: label, url: "https://cdn.example.com/\(keyword)", mime: "image/webp",
                    width: Int64(size), height: 512, animated: size % 2 == 0, emoji: emoji.isEmpty ? nil : emoji
                )),
                .gif(GIFPayload(
                    provider: "klipy", providerId: label, url: "https://media.example.com/\(emoji).gif", mp4Url: nil,
                    previewUrl: keyword.isEmpty ? nil : "https://media.example.com/\(keyword)", width: Int64(size), height: Int64(size)
                )),
            ]
            let catalogVersion: Int64? = version == 0 ? nil : Int64(version) * 1_000_000_007
            for payload in payloads {
                let twoStep = Result { () throws(OpenIMContentError) -> [UInt8] in
                    MessageContent.custom(try MessageEncoder.custom(payload, catalogVersion: catalogVersion)).jsonBytes
                }
                let oneStep = Result { () throws(OpenIMContentError) -> [UInt8] in
                    try MessageEncoder.customContentBytes(payload, catalogVersion: catalogVersion)
                }
                #expect(oneStep == twoStep, "\(payload)")
            }
        }
    }

    @Test func aPayloadOverTheLimitIsRefusedByBothEncoders() throws {
        // Three URLs within their own limit whose quotes, escaped, take the payload over its limit.
        let quotes = String(repeating: "\"", count: 1500)
        let gif = CatalogPayload.gif(GIFPayload(
            provider: "klipy", providerId: "x", url: "https://media.example.com/a\(quotes)", mp4Url: "https://media.example.com/b\(quotes)",
            previewUrl: "https://media.example.com/c\(quotes)", width: 1, height: 1
        ))
        let twoStep = Result { () throws(OpenIMContentError) -> CustomElem in try MessageEncoder.custom(gif, catalogVersion: 1) }
        let oneStep = Result { () throws(OpenIMContentError) -> [UInt8] in try MessageEncoder.customContentBytes(gif, catalogVersion: 1) }
        guard case .failure(.tooLarge(field: "data", let size, limit: CatalogPayload.maximumEncodedBytes)) = twoStep else {
            Issue.record("expected data to be too large: \(twoStep)")
            return
        }
        #expect(size > CatalogPayload.maximumEncodedBytes)
        #expect(oneStep == .failure(.tooLarge(field: "data", size: size, limit: CatalogPayload.maximumEncodedBytes)))
    }

    @Test func randomBytesNeverCrashTheDecoders() async {
        await propertyCheck(count: 2000, input: Gen.uint8().array(of: 0...200)) { bytes in
            _ = try? JSONParser.parse(bytes)
            let text = String(decoding: bytes, as: UTF8.self)
            _ = try? CatalogPayload.decode(data: text)
            _ = try? MessageDecoder.webhookContent(contentType: 110, content: text)
            _ = try? MessageDecoder.webhookContent(contentType: 115, content: text)
            _ = try? MessageDecoder.webhookContent(contentType: 102, content: text)
            _ = try? CallbackRequest(bytes: bytes)
        }
    }

    @Test func mutatedValidPayloadsNeverCrash() async {
        let valid = Array((try? CatalogPayload.sticker(catWave).encodedString())?.utf8 ?? "".utf8)
        await propertyCheck(count: 2000, input: Gen.int(in: 0...(valid.count - 1)), Gen.uint8()) { position, byte in
            var mutated = valid
            mutated[position] = byte
            _ = try? CatalogPayload.decode(data: String(decoding: mutated, as: UTF8.self))
            _ = try? JSONParser.parse(mutated)
        }
    }
}
