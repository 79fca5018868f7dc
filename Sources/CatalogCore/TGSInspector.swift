import CompressNIO
import NIOCore
import OpenIMContent

/// Telegram's animated stickers: a gzip of a Lottie JSON document marked `"tgs": 1`, checked by Telegram's rules —
/// at most 64 KiB, a 512×512 canvas, 60 frames a second, at most 3 seconds.
///
/// The gzip is inflated with a cap (`maximumTGSInflatedBytes`), so a gzip bomb stops there; the JSON is checked
/// whole (strict RFC 8259, nesting up to `maximumTGSDepth`) without building the animation's tree — only the
/// top-level canvas and timing members are read.
enum TGSInspector {
    static func inspect(_ bytes: [UInt8]) throws(ImageError) -> InspectedImage {
        guard bytes.count <= CatalogLimits.maximumTGSBytes else {
            throw .breaksRule("is a TGS animation of \(bytes.count) bytes; Telegram's limit is \(CatalogLimits.maximumTGSBytes)")
        }
        let json: [UInt8]
        do {
            var input = ByteBuffer(bytes: bytes)
            var inflated = try input.decompress(with: .gzip(), maxSize: CatalogLimits.maximumTGSInflatedBytes)
            json = inflated.readBytes(length: inflated.readableBytes) ?? []
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw .breaksRule("is a TGS animation inflating past \(CatalogLimits.maximumTGSInflatedBytes) bytes of JSON")
        } catch {
            throw .corrupt("a gzip stream that does not inflate")
        }
        // The gzip trailer: CRC-32 and length of what inflated (a stream cut inside it inflates to the end anyway).
        guard bytes.count >= 18, Self.littleEndian32(bytes, bytes.count - 4) == UInt32(truncatingIfNeeded: json.count),
              Self.littleEndian32(bytes, bytes.count - 8) == CRC32.checksum(json) else {
            throw .corrupt("a gzip stream whose trailer does not match its content")
        }
        let members: [String: JSONValue]
        do {
            members = try json.withUnsafeBufferPointer { buffer throws(OpenIMContentError) in
                try JSONParser.topLevelMembers(of: buffer, named: ["tgs", "w", "h", "fr", "ip", "op"], maximumDepth: CatalogLimits.maximumTGSDepth)
            }
        } catch {
            throw .corrupt("TGS whose Lottie JSON is malformed: \(error)")
        }
        func number(_ name: String, _ meaning: String) throws(ImageError) -> Double {
            switch members[name] {
            case .integer(let value)?: return Double(value)
            case .double(let value)?: return value
            default: throw .corrupt("TGS without a numeric \"\(name)\" (\(meaning))")
            }
        }
        guard try number("tgs", "the TGS marker") == 1 else { throw .breaksRule("is Lottie JSON without Telegram's \"tgs\": 1 marker") }
        let width = try number("w", "canvas width"), height = try number("h", "canvas height")
        guard width == 512, height == 512 else {
            throw .breaksRule("is a TGS animation on a \(Self.text(width))×\(Self.text(height)) canvas; Telegram's is 512×512")
        }
        let rate = try number("fr", "frame rate")
        guard rate == 60 else { throw .breaksRule("is a TGS animation at \(Self.text(rate)) frames a second; Telegram's are 60") }
        let first = try number("ip", "first frame"), end = try number("op", "frame after the last")
        guard first.isFinite, end.isFinite, end > first, end - first <= Double(CatalogLimits.maximumFrames) * 10 else {
            throw .corrupt("TGS whose frames run from \(Self.text(first)) to \(Self.text(end))")
        }
        let frames = Int((end - first).rounded(.up))
        let milliseconds = Int(((end - first) / rate * 1000).rounded())
        guard milliseconds <= CatalogLimits.maximumTGSAndWebMMilliseconds else {
            throw .breaksRule("is a TGS animation of \(milliseconds) ms; Telegram's limit is \(CatalogLimits.maximumTGSAndWebMMilliseconds) ms")
        }
        return InspectedImage(format: .tgs, width: 512, height: 512, frameCount: frames, durationMilliseconds: milliseconds)
    }

    static func littleEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    /// A number as people write it: 512, not 512.0.
    static func text(_ value: Double) -> String {
        value.isFinite && value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
