import CatalogCore
import Foundation
import OpenIMContent
import Testing

@Suite("Media registrations: kind, mime, sizes and URLs checked; rows encode to OpenIM's native elems")
struct MediaFileTests {
    static let sha = String(repeating: "ab", count: 32)
    static let image = #"{"ownerUserId":"u1001","conversationId":"si_u1001_u1002","kind":"image","mime":"image/jpeg","size":204800,"sha256":"\#(sha)","url":"https://minio.example.com/openim/photo.jpg","objectKey":"openim/photo.jpg","width":1024,"height":768,"fileName":"photo.jpg"}"#

    static func fields(_ text: String, storageOrigin: String? = nil) -> [String] {
        do {
            _ = try MediaRegistrationParser.parse(Array(text.utf8), storageOrigin: storageOrigin)
            return []
        } catch {
            return error.issues.map(\.field)
        }
    }

    static func replacing(_ text: String, _ key: String, _ value: String?) -> String {
        guard case .object(var members) = try! JSONParser.parse(text) else { fatalError("an object") }
        members.removeAll { $0.key == key }
        if let value { members.append((key, try! JSONParser.parse(value))) }
        var writer = JSONWriter()
        writer.value(.object(members))
        return writer.string
    }

    @Test func parsesAnImage() throws {
        let draft = try MediaRegistrationParser.parse(Array(Self.image.utf8), storageOrigin: nil)
        #expect(draft == MediaDraft(
            ownerUserId: "u1001", conversationId: "si_u1001_u1002", kind: .image, mime: "image/jpeg", size: 204800, sha256: Self.sha,
            url: "https://minio.example.com/openim/photo.jpg", objectKey: "openim/photo.jpg", width: 1024, height: 768, fileName: "photo.jpg"
        ))
    }

    @Test(arguments: [
        ("kind", #""sticker""#), ("mime", #""video/mp4""#), ("mime", #""jpeg""#), ("mime", #""image/jpeg; q=1""#), ("size", "0"),
        ("size", "-5"), ("size", #""204800""#), ("sha256", #""ABC""#), ("url", #""http://minio.example.com/a.jpg""#),
        ("url", #""ftp://minio.example.com/a.jpg""#), ("url", nil), ("objectKey", #""/abs/key""#), ("objectKey", #""a/../b""#),
        ("width", nil), ("height", "0"), ("width", "70000"), ("durationMs", "1000"), ("snapshotUrl", #""https://x.example/a.jpg""#),
        ("ownerUserId", #""has space""#), ("ownerUserId", #""""#), ("fileName", #""../etc/passwd""#), ("unknownThing", "1"),
    ] as [(String, String?)])
    func eachBadFieldIsNamed(field: String, value: String?) {
        let named = Self.fields(Self.replacing(Self.image, field, value))
        #expect(named.contains(field), "\(field)=\(value ?? "absent") named \(named)")
    }

    @Test func videoAndAudioNeedTheirDurationAndVideoItsSnapshot() {
        var video = Self.replacing(Self.image, "kind", #""video""#)
        video = Self.replacing(video, "mime", #""video/mp4""#)
        #expect(Set(Self.fields(video)) == ["durationMs", "snapshotUrl"])
        var audio = Self.replacing(Self.image, "kind", #""audio""#)
        audio = Self.replacing(audio, "mime", #""audio/mp4""#)
        #expect(Set(Self.fields(audio)) == ["width", "height", "durationMs"])
        // Any media type is a file.
        let file = Self.replacing(Self.replacing(Self.replacing(Self.image, "kind", #""file""#), "width", nil), "height", nil)
        #expect(Self.fields(file) == [])
    }

    @Test func theStorageOriginMayBePlainHTTP() {
        let inCluster = Self.replacing(Self.image, "url", #""http://minio:10005/openim/photo.jpg""#)
        #expect(Self.fields(inCluster) == ["url"])
        #expect(Self.fields(inCluster, storageOrigin: "http://minio:10005") == [])
        // A look-alike host is not the origin.
        let lookalike = Self.replacing(Self.image, "url", #""http://minio:10005.evil.example/photo.jpg""#)
        #expect(Self.fields(lookalike, storageOrigin: "http://minio:10005") == ["url"])
    }

    // MARK: Native encodings (hand-written golden vectors)

    static let id = UUID(uuidString: "9D8C7B6A-5F4E-4D3C-8B2A-1F0E9D8C7B6A")!

    static func file(_ draft: MediaDraft) -> MediaFile {
        MediaFile(id: id, draft: draft, createdAt: Date(timeIntervalSince1970: 1_764_000_000), deletedAt: nil)
    }

    static func json(_ content: MessageContent) -> String {
        String(decoding: content.jsonBytes, as: UTF8.self)
    }

    @Test func imageBecomesPicture102() throws {
        let content = try Self.file(MediaDraft(
            ownerUserId: "u1", kind: .image, mime: "image/jpeg", size: 204800, sha256: Self.sha,
            url: "https://minio.example.com/openim/photo.jpg", objectKey: "openim/photo.jpg", width: 1024, height: 768
        )).nativeContent()
        #expect(content.contentType == .picture)
        let info = #"{"height":768,"size":204800,"type":"image/jpeg","url":"https://minio.example.com/openim/photo.jpg","uuid":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a","width":1024}"#
        #expect(Self.json(content) == #"{"bigPicture":\#(info),"snapshotPicture":\#(info),"sourcePath":"","sourcePicture":\#(info)}"#)
    }

    @Test func videoBecomesVideo104WithItsOwnSnapshotSize() throws {
        let content = try Self.file(MediaDraft(
            ownerUserId: "u1", kind: .video, mime: "video/mp4", size: 5242880, sha256: Self.sha, url: "https://minio.example.com/openim/clip.mp4",
            objectKey: "openim/clip.mp4", width: 1920, height: 1080, durationMs: 12500, snapshotUrl: "https://minio.example.com/openim/clip.jpg",
            snapshotWidth: 640, snapshotHeight: 360
        )).nativeContent()
        #expect(content.contentType == .video)
        #expect(Self.json(content) == #"{"duration":13,"snapshotHeight":360,"snapshotPath":"","snapshotSize":0,"snapshotType":"image/jpeg","snapshotUUID":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a-snapshot","snapshotUrl":"https://minio.example.com/openim/clip.jpg","snapshotWidth":640,"videoPath":"","videoSize":5242880,"videoType":"video/mp4","videoUUID":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a","videoUrl":"https://minio.example.com/openim/clip.mp4"}"#)
    }

    @Test func audioBecomesSound103AndFilesFile105() throws {
        let audio = try Self.file(MediaDraft(
            ownerUserId: "u1", kind: .audio, mime: "audio/mp4", size: 48000, sha256: Self.sha, url: "https://minio.example.com/openim/voice.m4a",
            objectKey: "openim/voice.m4a", durationMs: 2100
        )).nativeContent()
        #expect(audio.contentType == .sound)
        #expect(Self.json(audio) == #"{"dataSize":48000,"duration":3,"soundPath":"","sourceUrl":"https://minio.example.com/openim/voice.m4a","uuid":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"}"#)

        let file = try Self.file(MediaDraft(
            ownerUserId: "u1", kind: .file, mime: "application/pdf", size: 1048576, sha256: Self.sha,
            url: "https://minio.example.com/openim/report.pdf", objectKey: "openim/report.pdf", fileName: "report.pdf"
        )).nativeContent()
        #expect(file.contentType == .file)
        #expect(Self.json(file) == #"{"fileName":"report.pdf","filePath":"","fileSize":1048576,"fileType":"application/pdf","sourceUrl":"https://minio.example.com/openim/report.pdf","uuid":"9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"}"#)
        // Every native elem passes the checks /msg/send_msg applies.
        try audio.validateForSend()
        try file.validateForSend()
    }
}
