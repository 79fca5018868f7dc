/// Image formats accepted for stickers and tray icons, recognised from their bytes only: the still and animated
/// images every client draws, and Telegram's animated (TGS: gzipped Lottie) and video (WebM, VP9) stickers.
public enum ImageFormat: String, Sendable, Equatable, CaseIterable {
    case png, apng, webp, gif, tgs, webm

    /// The MIME type served for the format.
    public var mime: String {
        switch self {
        case .png: return "image/png"
        case .apng: return "image/apng"
        case .webp: return "image/webp"
        case .gif: return "image/gif"
        case .tgs: return "application/x-tgsticker"
        case .webm: return "video/webm"
        }
    }

    /// Whether OpenIM's stock clients draw it as a picture (102) or face (115): TGS needs a Lottie player and WebM a
    /// video decoder, so those travel only as our custom message (110).
    public var isPicture: Bool { self != .tgs && self != .webm }

    /// The file extension used in asset URLs.
    public var fileExtension: String {
        switch self {
        case .png, .apng: return "png"
        case .webp: return "webp"
        case .gif: return "gif"
        case .tgs: return "tgs"
        case .webm: return "webm"
        }
    }

    /// The format for a MIME type we serve.
    public init?(mime: String) {
        guard let format = ImageFormat.allCases.first(where: { $0.mime == mime }) else { return nil }
        self = format
    }
}

/// What the header walk found in an image.
public struct InspectedImage: Sendable, Equatable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    public var frameCount: Int
    /// Playing time, for the formats whose rules limit it (TGS, WebM).
    public var durationMilliseconds: Int?
    public var animated: Bool { frameCount > 1 }

    public init(format: ImageFormat, width: Int, height: Int, frameCount: Int, durationMilliseconds: Int? = nil) {
        self.format = format
        self.width = width
        self.height = height
        self.frameCount = frameCount
        self.durationMilliseconds = durationMilliseconds
    }
}

/// Why bytes are not an acceptable image.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not PNG, APNG, WebP or GIF (SVG, HTML, JPEG … all land here).
    case unsupportedFormat
    /// The structure is broken or ends early.
    case corrupt(String)
    /// More frames than `CatalogLimits.maximumFrames`.
    case tooManyFrames(Int)
    /// Well formed, but against the format's sticker rules (Telegram's for TGS and WebM); the text says which.
    case breaksRule(String)

    public var description: String {
        switch self {
        case .unsupportedFormat: return "is not a PNG, APNG, WebP or GIF image, a TGS animation or a WebM video"
        case .corrupt(let reason): return "is not a valid image (\(reason))"
        case .tooManyFrames(let count): return "has \(count) frames, more than \(CatalogLimits.maximumFrames)"
        case .breaksRule(let rule): return rule
        }
    }
}

/// Reads format, dimensions and frame count from image bytes by walking the container structure.
///
/// The walk covers the whole file, not just the first header: a truncated body, a chunk running past the end,
/// a bad PNG CRC or bytes after the end marker (the GIF+HTML polyglot trick) are all refused. Pixel data is never
/// decoded, so a file claiming 100000×100000 costs nothing to reject.
public enum ImageInspector {
    /// Inspects `bytes`.
    public static func inspect(_ bytes: [UInt8]) throws(ImageError) -> InspectedImage {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return try png(bytes) }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) { return try webp(bytes) }
        if bytes.starts(with: Array("GIF87a".utf8)) || bytes.starts(with: Array("GIF89a".utf8)) { return try gif(bytes) }
        if bytes.starts(with: [0x1F, 0x8B]) { return try TGSInspector.inspect(bytes) }
        if bytes.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { return try WebMInspector.inspect(bytes) }
        throw .unsupportedFormat
    }

    static func bigEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    static func littleEndian16(_ bytes: [UInt8], _ offset: Int) -> Int {
        Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
    }

    static func littleEndian24(_ bytes: [UInt8], _ offset: Int) -> Int {
        Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16
    }

    static func littleEndian32(_ bytes: [UInt8], _ offset: Int) -> Int {
        littleEndian16(bytes, offset) | littleEndian16(bytes, offset + 2) << 16
    }

    // MARK: PNG and APNG (RFC 2083, APNG spec): chunks of length, type, data, CRC; IHDR first, IEND last.

    static func png(_ bytes: [UInt8]) throws(ImageError) -> InspectedImage {
        var offset = 8
        var width = 0, height = 0
        var declaredFrames: Int?
        var frameControls = 0
        var sawImageData = false
        var first = true
        while true {
            guard offset + 12 <= bytes.count else { throw .corrupt("truncated PNG chunk") }
            let length = Int(bigEndian32(bytes, offset))
            guard length <= bytes.count - offset - 12 else { throw .corrupt("PNG chunk runs past the end of the file") }
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let dataStart = offset + 8
            let crc = bigEndian32(bytes, dataStart + length)
            guard CRC32.checksum(bytes[(offset + 4)..<(dataStart + length)]) == crc else { throw .corrupt("PNG chunk \(type) has a bad CRC") }
            if first {
                guard type == "IHDR", length == 13 else { throw .corrupt("PNG must start with IHDR") }
                width = Int(bigEndian32(bytes, dataStart))
                height = Int(bigEndian32(bytes, dataStart + 4))
                guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max) else { throw .corrupt("PNG has zero or huge dimensions") }
                first = false
            } else {
                switch type {
                case "IHDR": throw .corrupt("PNG has two IHDR chunks")
                case "acTL":
                    guard length == 8, !sawImageData, declaredFrames == nil else { throw .corrupt("misplaced APNG acTL chunk") }
                    declaredFrames = Int(bigEndian32(bytes, dataStart))
                    guard let frames = declaredFrames, frames >= 1 else { throw .corrupt("APNG declares no frames") }
                    if frames > CatalogLimits.maximumFrames { throw .tooManyFrames(frames) }
                case "fcTL":
                    frameControls += 1
                    if frameControls > CatalogLimits.maximumFrames { throw .tooManyFrames(frameControls) }
                case "IDAT": sawImageData = true
                case "IEND":
                    guard length == 0 else { throw .corrupt("PNG IEND is not empty") }
                    guard dataStart + 4 == bytes.count else { throw .corrupt("data after the PNG IEND chunk") }
                    guard sawImageData else { throw .corrupt("PNG has no image data") }
                    if let frames = declaredFrames {
                        guard frames == frameControls else { throw .corrupt("APNG declares \(frames) frames but has \(frameControls)") }
                        return InspectedImage(format: frames > 1 ? .apng : .png, width: width, height: height, frameCount: frames)
                    }
                    return InspectedImage(format: .png, width: width, height: height, frameCount: 1)
                default: break
                }
            }
            offset = dataStart + length + 4
        }
    }

    // MARK: WebP (RFC 9649): RIFF container; VP8, VP8L or VP8X (with ANIM/ANMF for animation).

    static func webp(_ bytes: [UInt8]) throws(ImageError) -> InspectedImage {
        let riffSize = littleEndian32(bytes, 4)
        guard riffSize + 8 == bytes.count else {
            throw .corrupt(riffSize + 8 > bytes.count ? "truncated WebP (RIFF size \(riffSize + 8), file \(bytes.count) bytes)" : "data after the WebP RIFF container")
        }
        var offset = 12
        var width = 0, height = 0
        var extended = false, animationFlag = false
        var frames = 0
        var sawBitstream = false, sawAnimationHeader = false
        var first = true
        while offset < bytes.count {
            guard offset + 8 <= bytes.count else { throw .corrupt("truncated WebP chunk header") }
            let fourCC = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self)
            let size = littleEndian32(bytes, offset + 4)
            let dataStart = offset + 8
            let padded = size + (size & 1)
            guard padded <= bytes.count - dataStart else { throw .corrupt("WebP chunk \(fourCC) runs past the end of the file") }
            switch fourCC {
            case "VP8X":
                guard first, size >= 10 else { throw .corrupt("misplaced WebP VP8X chunk") }
                extended = true
                animationFlag = bytes[dataStart] & 0x02 != 0
                width = littleEndian24(bytes, dataStart + 4) + 1
                height = littleEndian24(bytes, dataStart + 7) + 1
            case "VP8 ":
                guard size >= 10 else { throw .corrupt("truncated VP8 frame header") }
                guard bytes[dataStart + 3] == 0x9D, bytes[dataStart + 4] == 0x01, bytes[dataStart + 5] == 0x2A else {
                    throw .corrupt("bad VP8 start code")
                }
                if !extended {
                    guard first else { throw .corrupt("misplaced VP8 chunk") }
                    width = littleEndian16(bytes, dataStart + 6) & 0x3FFF
                    height = littleEndian16(bytes, dataStart + 8) & 0x3FFF
                }
                sawBitstream = true
            case "VP8L":
                guard size >= 5, bytes[dataStart] == 0x2F else { throw .corrupt("bad VP8L signature") }
                if !extended {
                    guard first else { throw .corrupt("misplaced VP8L chunk") }
                    let bits = UInt32(littleEndian32(bytes, dataStart + 1))
                    width = Int(bits & 0x3FFF) + 1
                    height = Int((bits >> 14) & 0x3FFF) + 1
                }
                sawBitstream = true
            case "ANIM":
                guard extended, animationFlag, size >= 6 else { throw .corrupt("WebP ANIM chunk without the animation flag") }
                sawAnimationHeader = true
            case "ANMF":
                guard sawAnimationHeader, size >= 16 else { throw .corrupt("WebP ANMF frame before ANIM") }
                frames += 1
                if frames > CatalogLimits.maximumFrames { throw .tooManyFrames(frames) }
                let frameWidth = littleEndian24(bytes, dataStart + 6) + 1
                let frameHeight = littleEndian24(bytes, dataStart + 9) + 1
                let frameX = littleEndian24(bytes, dataStart) * 2
                let frameY = littleEndian24(bytes, dataStart + 3) * 2
                guard frameX + frameWidth <= width, frameY + frameHeight <= height else { throw .corrupt("WebP frame outside the canvas") }
            default:
                guard !first else { throw .corrupt("WebP must start with VP8, VP8L or VP8X") }
            }
            first = false
            offset = dataStart + padded
        }
        guard width > 0, height > 0 else { throw .corrupt("WebP has zero dimensions") }
        if animationFlag {
            guard sawAnimationHeader, frames >= 1 else { throw .corrupt("animated WebP has no frames") }
            return InspectedImage(format: .webp, width: width, height: height, frameCount: frames)
        }
        guard sawBitstream else { throw .corrupt("WebP has no image data") }
        return InspectedImage(format: .webp, width: width, height: height, frameCount: 1)
    }

    // MARK: GIF (GIF89a spec): header, logical screen, blocks up to the 0x3B trailer.

    static func gif(_ bytes: [UInt8]) throws(ImageError) -> InspectedImage {
        guard bytes.count >= 13 else { throw .corrupt("truncated GIF header") }
        let width = littleEndian16(bytes, 6)
        let height = littleEndian16(bytes, 8)
        guard width > 0, height > 0 else { throw .corrupt("GIF has zero dimensions") }
        var offset = 13
        if bytes[10] & 0x80 != 0 { offset += 3 << (Int(bytes[10] & 0x07) + 1) }
        var frames = 0

        func skipSubBlocks(_ offset: inout Int) throws(ImageError) {
            while true {
                guard offset < bytes.count else { throw .corrupt("truncated GIF data") }
                let size = Int(bytes[offset])
                offset += 1
                if size == 0 { return }
                offset += size
            }
        }

        while true {
            guard offset < bytes.count else { throw .corrupt("GIF ends without its trailer") }
            switch bytes[offset] {
            case 0x21:
                offset += 2
                try skipSubBlocks(&offset)
            case 0x2C:
                guard offset + 10 <= bytes.count else { throw .corrupt("truncated GIF image descriptor") }
                let packed = bytes[offset + 9]
                offset += 10
                if packed & 0x80 != 0 { offset += 3 << (Int(packed & 0x07) + 1) }
                offset += 1
                try skipSubBlocks(&offset)
                frames += 1
                if frames > CatalogLimits.maximumFrames { throw .tooManyFrames(frames) }
            case 0x3B:
                guard offset + 1 == bytes.count else { throw .corrupt("data after the GIF trailer") }
                guard frames >= 1 else { throw .corrupt("GIF has no image") }
                return InspectedImage(format: .gif, width: width, height: height, frameCount: frames)
            default:
                throw .corrupt("unknown GIF block 0x\(String(bytes[offset], radix: 16))")
            }
        }
    }
}
