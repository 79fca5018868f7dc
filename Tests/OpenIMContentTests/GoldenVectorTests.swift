import Foundation
import OpenIMContent
import Testing

@Suite("Encoders match hand-written golden vectors byte for byte")
struct GoldenVectorTests {
    @Test func stickerAsCustomMessage() throws {
        let content = try MessageEncoder.content(.sticker(catWave), format: .custom, catalogVersion: 42)
        #expect(content.contentType == .custom)
        #expect(text(content) == (try fixture("sticker-custom")))
    }

    @Test func oneStepCustomEncoderWritesTheSameBytes() throws {
        let sticker = try MessageEncoder.customContentBytes(.sticker(catWave), catalogVersion: 42)
        #expect(String(decoding: sticker, as: UTF8.self) == (try fixture("sticker-custom")))
        let gif = try MessageEncoder.customContentBytes(.gif(klipyGIF), catalogVersion: nil)
        #expect(String(decoding: gif, as: UTF8.self) == (try fixture("gif-custom")))
    }

    @Test func stickerAsPictureMessage() throws {
        let content = try MessageEncoder.content(.sticker(catWave), format: .picture, catalogVersion: 42)
        #expect(content.contentType == .picture)
        #expect(text(content) == (try fixture("sticker-picture")))
    }

    @Test func stickerAsFaceMessage() throws {
        let content = try MessageEncoder.content(.sticker(catWave), format: .face, catalogVersion: nil)
        #expect(content.contentType == .face)
        #expect(text(content) == (try fixture("sticker-face")))
    }

    @Test func stickerSendMsgBodyForAGroup() throws {
        let content = try MessageEncoder.content(.sticker(catWave), format: .custom, catalogVersion: 42)
        let body = try SendMsgRequest(
            sendID: "user_001", conversationID: "grp_42", sessionType: .group, senderPlatformID: 1,
            content: content, senderNickname: "Alice"
        )
        #expect(String(decoding: body.jsonBytes, as: UTF8.self) == (try fixture("sticker-send-msg-group")))
    }

    @Test func gifAsCustomAndPicture() throws {
        let custom = try MessageEncoder.content(.gif(klipyGIF), format: .custom, catalogVersion: nil)
        #expect(text(custom) == (try fixture("gif-custom")))
        let picture = try MessageEncoder.content(.gif(klipyGIF), format: .picture, catalogVersion: nil)
        #expect(text(picture) == (try fixture("gif-picture")))
    }

    @Test func mediaToNativeElems() throws {
        let image = MediaPayload(
            mediaId: "3f2c9a1e-8b7d-4c6a-9e5f-1a2b3c4d5e6f", kind: .image, url: "https://minio.example.com/openim/photo.jpg",
            mime: "image/jpeg", size: 204800, width: 1920, height: 1080, snapshotUrl: "https://minio.example.com/openim/photo-thumb.jpg"
        )
        #expect(text(try MessageEncoder.native(image)) == (try fixture("media-image-picture")))

        let video = MediaPayload(
            mediaId: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", kind: .video, url: "https://minio.example.com/openim/clip.mp4",
            mime: "video/mp4", size: 5242880, width: 1280, height: 720, durationMs: 12500,
            snapshotUrl: "https://minio.example.com/openim/clip.jpg"
        )
        let videoContent = try MessageEncoder.native(video)
        #expect(videoContent.contentType == .video)
        #expect(text(videoContent) == (try fixture("media-video")))

        let file = MediaPayload(
            mediaId: "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", kind: .file, url: "https://minio.example.com/openim/report.pdf",
            mime: "application/pdf", size: 1048576, fileName: "report.pdf"
        )
        #expect(text(try MessageEncoder.native(file)) == (try fixture("media-file")))

        let audio = MediaPayload(
            mediaId: "7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928", kind: .audio, url: "https://minio.example.com/openim/voice.m4a",
            mime: "audio/mp4", size: 48000, durationMs: 2100
        )
        let audioContent = try MessageEncoder.native(audio)
        #expect(audioContent.contentType == .sound)
        #expect(text(audioContent) == (try fixture("media-audio")))
    }

    @Test func codableEncodingAgreesWithTheWriter() throws {
        let elem = try MessageEncoder.picture(.sticker(catWave))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let viaCodable = String(decoding: try encoder.encode(elem), as: UTF8.self)
        #expect(viaCodable == (try fixture("sticker-picture")))
    }

    @Test func rejectReplyHasOpenIMsShapeAndNumericCodes() throws {
        let reply = CallbackResponse.reject(code: 5101, message: "sticker not allowed", detail: "cat-wave is archived")
        #expect(reply.blocks)
        let written = try JSONParser.parse(reply.jsonBytes)
        #expect(written == (try JSONParser.parse(fixture("callback-reject"))))
        #expect(written["nextCode"] == .integer(1))
        #expect(written["actionCode"] == .integer(0))
        let allow = try JSONParser.parse(CallbackResponse.allow.jsonBytes)
        #expect(allow == .object([("actionCode", .integer(0)), ("errCode", .integer(0)), ("errMsg", .string("")), ("errDlt", .string("")), ("nextCode", .integer(0))]))
    }
}
