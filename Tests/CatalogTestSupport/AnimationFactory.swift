import CompressNIO
import NIOCore

/// Builds Telegram-style animated (TGS) and video (WebM) stickers, well formed or broken in chosen ways.
public enum AnimationFactory {
    /// A Lottie document as Telegram's TGS carries it; `extra` adds top-level members (raw JSON, after a comma).
    public static func lottie(width: Int = 512, height: Int = 512, rate: Int = 60, first: Int = 0, end: Int = 180, marker: Bool = true, extra: String = "") -> String {
        let layer = #"{"ddd":0,"ind":1,"ty":4,"nm":"dot","ks":{"o":{"a":0,"k":100},"p":{"a":1,"k":[{"t":0,"s":[100,100,0]},{"t":\#(end),"s":[400,400,0]}]}},"shapes":[{"ty":"el","p":{"a":0,"k":[0,0]},"s":{"a":0,"k":[80,80]}},{"ty":"fl","c":{"a":0,"k":[1,0.5,0,1]},"o":{"a":0,"k":100}}],"ip":\#(first),"op":\#(end),"st":0}"#
        return "{" + (marker ? #""tgs":1,"# : "") + #""v":"5.5.2","fr":\#(rate),"ip":\#(first),"op":\#(end),"w":\#(width),"h":\#(height),"nm":"sticker","ddd":0,"assets":[],"layers":[\#(layer)]"# + extra + "}"
    }

    /// `text` gzipped, as a .tgs file is.
    public static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        var compressed = (try? buffer.compress(with: .gzip())) ?? ByteBuffer()
        return compressed.readBytes(length: compressed.readableBytes) ?? []
    }

    public static func tgs(_ json: String = lottie()) -> [UInt8] { gzip(Array(json.utf8)) }

    // MARK: WebM

    /// An EBML element: id bytes as written (marker included), then the size as an 8-byte variable integer.
    public static func element(_ id: UInt32, _ content: [UInt8]) -> [UInt8] {
        idBytes(id) + size(content.count) + content
    }

    public static func idBytes(_ id: UInt32) -> [UInt8] {
        let all = [UInt8(id >> 24 & 0xFF), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)]
        return Array(all.drop { $0 == 0 })
    }

    /// `value` as an 8-byte EBML size (0x01 marker), which every reader accepts.
    public static func size(_ value: Int) -> [UInt8] {
        [0x01] + (0..<7).reversed().map { UInt8(value >> ($0 * 8) & 0xFF) }
    }

    /// The unknown size (all ones), as live streams write for Segments and Clusters.
    public static let unknownSize: [UInt8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]

    public static func unsigned(_ id: UInt32, _ value: UInt64) -> [UInt8] {
        element(id, (0..<8).reversed().map { UInt8(value >> ($0 * 8) & 0xFF) })
    }

    public static func text(_ id: UInt32, _ value: String) -> [UInt8] { element(id, Array(value.utf8)) }

    public static func float(_ id: UInt32, _ value: Double) -> [UInt8] {
        let bits = value.bitPattern
        return element(id, (0..<8).reversed().map { UInt8(bits >> ($0 * 8) & 0xFF) })
    }

    public struct Track {
        public var number: UInt64 = 1
        public var type: UInt64 = 1
        public var codec = "V_VP9"
        public var width: UInt64 = 512
        public var height: UInt64 = 512
        public var frameNanoseconds: UInt64? = 33_333_333

        public init(number: UInt64 = 1, type: UInt64 = 1, codec: String = "V_VP9", width: UInt64 = 512, height: UInt64 = 512, frameNanoseconds: UInt64? = 33_333_333) {
            self.number = number
            self.type = type
            self.codec = codec
            self.width = width
            self.height = height
            self.frameNanoseconds = frameNanoseconds
        }
    }

    /// A WebM file: the EBML header, then a Segment with Info (duration in ms at the default scale), Tracks and one
    /// Cluster of `frames` SimpleBlocks on track 1 (each `frameBytes` of payload). `docType`, `tracks`, `duration`
    /// and `trailing` make the broken ones.
    public static func webm(
        docType: String = "webm", tracks: [Track] = [Track()], durationMilliseconds: Double? = 3000, frames: Int = 90,
        frameBytes: Int = 16, unknownSizeSegment: Bool = false, trailing: [UInt8] = []
    ) -> [UInt8] {
        let header = element(0x1A45_DFA3, unsigned(0x4286, 1) + unsigned(0x42F7, 1) + text(0x4282, docType) + unsigned(0x4287, 4) + unsigned(0x4285, 2))
        var info = unsigned(0x2A_D7B1, 1_000_000) + text(0x4D80, "catalog-tests") + text(0x5741, "catalog-tests")
        if let durationMilliseconds { info += float(0x4489, durationMilliseconds) }
        var entries: [UInt8] = []
        for track in tracks {
            var entry = unsigned(0xD7, track.number) + unsigned(0x73C5, track.number) + unsigned(0x83, track.type) + text(0x86, track.codec)
            if let nanoseconds = track.frameNanoseconds { entry += unsigned(0x23_E383, nanoseconds) }
            if track.type == 1 { entry += element(0xE0, unsigned(0xB0, track.width) + unsigned(0xBA, track.height)) }
            if track.type == 2 { entry += element(0xE1, float(0xB5, 48000) + unsigned(0x9F, 2)) }
            entries += element(0xAE, entry)
        }
        var cluster = unsigned(0xE7, 0)
        for frame in 0..<frames {
            // Track number 1 (0x81), a 16-bit relative timecode, flags (key frame on the first), then the payload.
            let timecode = UInt16(truncatingIfNeeded: frame * 33)
            cluster += element(0xA3, [0x81, UInt8(timecode >> 8), UInt8(timecode & 0xFF), frame == 0 ? 0x80 : 0x00] + [UInt8](repeating: UInt8(frame & 0xFF), count: frameBytes))
        }
        let body = element(0x1549_A966, info) + element(0x1654_AE6B, entries) + element(0x1F43_B675, cluster)
        let segment = unknownSizeSegment ? idBytes(0x1853_8067) + unknownSize + body : element(0x1853_8067, body)
        return header + segment + trailing
    }
}
