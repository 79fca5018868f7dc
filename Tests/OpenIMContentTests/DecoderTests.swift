import Foundation
import OpenIMContent
import Testing

@Suite("Decoders turn OpenIM bodies back into catalog references")
struct DecoderTests {
    @Test func webhookContentIsDecodedTwice() throws {
        let request = try CallbackRequest(bytes: Array(fixture("webhook-before-group").utf8))
        #expect(request.callbackCommand == "callbackBeforeSendGroupMsgCommand")
        #expect(request.groupID == "grp_42")
        #expect(request.msgFrom == 100)
        let received = try MessageDecoder.webhookContent(contentType: request.contentType, content: request.content)
        #expect(received == .catalog(.sticker(catWave)))
    }

    @Test(arguments: [
        CatalogPayload.sticker(catWave),
        .sticker(StickerPayload(packId: "猫-pack", stickerId: "ねこ", url: "https://cdn.example.com/a.png", mime: "image/png", width: 512, height: 300, animated: true, emoji: "🐈‍⬛")),
        .sticker(StickerPayload(packId: "p", stickerId: "s \"quoted\" \\ back", url: "http://localhost:8080/a", mime: "image/gif", width: 1, height: 16384, animated: true, emoji: nil)),
        .gif(klipyGIF),
        .gif(GIFPayload(provider: "giphy", providerId: "xT9IgG50Fb7Mi0prBC", url: "https://media.giphy.com/media/x/giphy.gif", mp4Url: nil, previewUrl: nil, width: 480, height: 270)),
        .media(MediaPayload(mediaId: "3f2c", kind: .file, url: "https://minio.example.com/f", mime: "application/pdf", size: 10, fileName: "Отчёт 2026.pdf")),
        .media(MediaPayload(mediaId: "v", kind: .video, url: "https://minio.example.com/v.mp4", mime: "video/mp4", size: 10, width: 640, height: 360, durationMs: 1000, snapshotUrl: "https://minio.example.com/v.jpg")),
    ])
    func customRoundTrip(payload: CatalogPayload) throws {
        let elem = try MessageEncoder.custom(payload, catalogVersion: 7, text: .simplifiedChinese)
        #expect(try MessageDecoder.payload(from: elem) == payload)
        // Through the webhook path: the content object serialised as OpenIM stores it.
        let content = String(decoding: MessageContent.custom(elem).jsonBytes, as: UTF8.self)
        #expect(try MessageDecoder.webhookContent(contentType: 110, content: content) == .catalog(payload))
    }

    @Test func faceRoundTripAndClientEmoji() throws {
        let face = try MessageEncoder.face(.sticker(catWave))
        #expect(try MessageDecoder.faceImage(from: face) == FaceImage(url: stickerURL, width: 512, height: 512))
        let content = String(decoding: MessageContent.face(face).jsonBytes, as: UTF8.self)
        #expect(try MessageDecoder.webhookContent(contentType: 115, content: content) == .face(FaceImage(url: stickerURL, width: 512, height: 512)))
        // A face with a non-negative index is a client-bundled emoji: not ours.
        #expect(try MessageDecoder.webhookContent(contentType: 115, content: #"{"index":3}"#) == .foreign(contentType: 115))
    }

    @Test func pictureDecodesItsSourceRendition() throws {
        let picture = try MessageEncoder.picture(.gif(klipyGIF))
        let content = String(decoding: MessageContent.picture(picture).jsonBytes, as: UTF8.self)
        guard case .picture(let info) = try MessageDecoder.webhookContent(contentType: 102, content: content) else {
            Issue.record("expected a picture")
            return
        }
        #expect(info.url == klipyGIF.url)
        #expect(info.width == 320)
    }

    @Test func foreignMessagesAreLeftAlone() throws {
        #expect(try MessageDecoder.webhookContent(contentType: 101, content: #"{"content":"hi"}"#) == .foreign(contentType: 101))
        #expect(try MessageDecoder.webhookContent(contentType: 110, content: #"{"data":"plain text"}"#) == .foreign(contentType: 110))
        #expect(try MessageDecoder.webhookContent(contentType: 110, content: #"{"data":"{\"customType\":902}"}"#) == .foreign(contentType: 110))
    }

    @Test(arguments: [
        (#"{"type":"sticker","v":1}"#, OpenIMContentError.missingField("data.packId")),
        (#"{"type":"banana","v":1}"#, .unknownPayloadType("banana")),
        (#"{"type":"sticker","v":2,"packId":"a"}"#, .unsupportedVersion(2)),
        (#"{"type":"sticker","v":"1"}"#, .wrongType(field: "data.v", expected: "an integer")),
        (#"{"animated":false,"height":512.5,"mime":"image/webp","packId":"cats","stickerId":"s","type":"sticker","url":"https://a.b/c","v":1,"width":512}"#, .wrongType(field: "data.height", expected: "an integer")),
        (#"{"animated":"no","height":512,"mime":"image/webp","packId":"cats","stickerId":"s","type":"sticker","url":"https://a.b/c","v":1,"width":512}"#, .wrongType(field: "data.animated", expected: "a boolean")),
        (#"{"animated":false,"height":0,"mime":"image/webp","packId":"cats","stickerId":"s","type":"sticker","url":"https://a.b/c","v":1,"width":512}"#, .invalidValue(field: "data.height", reason: "must be between 1 and 16384")),
        (#"{"animated":false,"height":5,"mime":"image/webp","packId":"cats","stickerId":"s","type":"sticker","url":"javascript:alert(1)","v":1,"width":512}"#, .invalidValue(field: "data.url", reason: "must be an absolute http(s) URL")),
        (#"{"type":"media","v":1,"mediaId":"m","kind":"hologram","url":"https://a.b/c","mime":"x/y","size":1}"#, .invalidValue(field: "data.kind", reason: "must be one of image, video, audio, file")),
        (#"["sticker"]"#, .wrongType(field: "data", expected: "an object")),
    ])
    func payloadErrorsAreTyped(json: String, expected: OpenIMContentError) {
        #expect(throws: expected) { try CatalogPayload.decode(data: json) }
    }

    @Test func oversizePayloadIsRefusedBeforeParsing() {
        let huge = "{\"type\":\"sticker\",\"pad\":\"" + String(repeating: "x", count: CatalogPayload.maximumEncodedBytes) + "\"}"
        #expect(throws: OpenIMContentError.tooLarge(field: "data", size: huge.utf8.count, limit: CatalogPayload.maximumEncodedBytes)) {
            try CatalogPayload.decode(data: huge)
        }
    }

    @Test func malformedJSONIsTyped() {
        for bad in ["", "{", "{\"a\":}", "{\"a\":1,}", "[1 2]", "{\"a\":1}x", "\"\\ud800\"", "{\"a\":1,\"a\":2}", "nul", "01", "1.", "\"\u{01}\""] {
            #expect(throws: OpenIMContentError.self) { try JSONParser.parse(bad) }
        }
        let invalidUTF8: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: OpenIMContentError.self) { try JSONParser.parse(invalidUTF8) }
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: OpenIMContentError.self) { try JSONParser.parse(deep) }
    }

    @Test func parserHandlesEscapesAndUnicode() throws {
        let value = try JSONParser.parse(#"{"s":"a\"b\\c\/d\n\u00e9\ud83d\ude00","n":-12,"d":1.5e2,"t":true,"z":null}"#)
        #expect(value["s"] == .string("a\"b\\c/d\né😀"))
        #expect(value["n"] == .integer(-12))
        #expect(value["d"] == .double(150))
        #expect(value["t"] == .bool(true))
        #expect(value["z"] == .null)
    }
}

@Suite("JSONWriter escaping")
struct JSONWriterEscapingTests {
    @Test func controlCharactersOfBothRangesAreEscapedAndRoundTrip() throws {
        let text = "a\u{1}b\"c\\d\u{7F}e\u{81}f\u{9F}g¢\u{A0}h😀"
        var writer = JSONWriter()
        writer.string(text)
        #expect(writer.string == #""a\u0001b\"c\\d\u007fe\u0081f\u009fg¢\#u{A0}h😀""#)
        #expect(try JSONParser.parse(writer.bytes) == .string(text))
    }
}
