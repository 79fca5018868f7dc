import CatalogCore
import CompressNIO
import Foundation
import NIOCore

/// Builds small, structurally valid images (and broken ones) for tests.
public enum ImageFactory {
    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(CRC32.checksum(typeBytes + data))
    }

    static func zlib(_ bytes: [UInt8]) -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        var compressed = try! buffer.compress(with: .zlib())
        return compressed.readBytes(length: compressed.readableBytes)!
    }

    /// A PNG of `width`×`height`. With `pixels: false` the image data is a token IDAT (a header-only claim, which is
    /// how "100000×100000" files look); `frames` > 1 makes an APNG; `padding` adds a private chunk to reach a size.
    public static func png(width: Int, height: Int, frames: Int = 1, pixels: Bool = true, padding: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        bytes += chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 6, 0, 0, 0])
        if frames > 1 { bytes += chunk("acTL", bigEndian(UInt32(frames)) + bigEndian(0)) }
        let data: [UInt8]
        if pixels {
            var raw: [UInt8] = []
            raw.reserveCapacity((width * 4 + 1) * height)
            for row in 0..<height {
                raw.append(0)
                for column in 0..<width { raw += [UInt8(row & 0xFF), UInt8(column & 0xFF), 0x80, 0xFF] }
            }
            data = zlib(raw)
        } else {
            data = zlib([0, 0, 0, 0, 0])
        }
        if frames > 1 { bytes += chunk("fcTL", [UInt8](repeating: 0, count: 26)) }
        bytes += chunk("IDAT", data)
        for _ in 1..<max(frames, 1) {
            bytes += chunk("fcTL", [UInt8](repeating: 0, count: 26))
            bytes += chunk("fdAT", [0, 0, 0, 1] + data)
        }
        if padding > 0 { bytes += chunk("prVt", [UInt8](repeating: 0x41, count: padding)) }
        bytes += chunk("IEND", [])
        return bytes
    }

    /// A GIF89a of `width`×`height` with `frames` images (each a 1×1 LZW stream).
    public static func gif(width: Int, height: Int, frames: Int = 1) -> [UInt8] {
        var bytes = Array("GIF89a".utf8)
        bytes += [UInt8(width & 0xFF), UInt8(width >> 8), UInt8(height & 0xFF), UInt8(height >> 8), 0x80, 0, 0]
        bytes += [0, 0, 0, 0xFF, 0xFF, 0xFF]
        if frames > 1 { bytes += [0x21, 0xFF, 0x0B] + Array("NETSCAPE2.0".utf8) + [3, 1, 0, 0, 0] }
        for _ in 0..<frames {
            bytes += [0x21, 0xF9, 4, 0, 10, 0, 0, 0]
            bytes += [0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]
            bytes += [2, 2, 0x44, 0x01, 0]
        }
        bytes.append(0x3B)
        return bytes
    }

    /// A lossless WebP (VP8L) of `width`×`height` that decodes: a two-colour diagonal, encoded by libwebp.
    public static func webpLossless(width: Int, height: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        for y in 0..<height {
            for x in 0..<width {
                let base = (y * width + x) * 4
                pixels[base] = x > y ? 0xE0 : 0x20
                pixels[base + 1] = 0x60
                pixels[base + 2] = x > y ? 0x20 : 0xE0
                pixels[base + 3] = 0xFF
            }
        }
        return Thumbnailer.encodeLosslessWebP(RGBAImage(width: width, height: height, pixels: pixels)) ?? []
    }

    /// An animated WebP of `width`×`height` with `frames` ANMF frames, each a decodable lossless image.
    public static func webpAnimated(width: Int, height: Int, frames: Int) -> [UInt8] {
        var chunks: [(String, [UInt8])] = []
        let w = width - 1, h = height - 1
        chunks.append(("VP8X", [0x12, 0, 0, 0, UInt8(w & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w >> 16), UInt8(h & 0xFF), UInt8(h >> 8 & 0xFF), UInt8(h >> 16)]))
        chunks.append(("ANIM", [0, 0, 0, 0, 0, 0]))
        for _ in 0..<frames {
            var frame: [UInt8] = [0, 0, 0, 0, 0, 0]
            frame += [UInt8(w & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w >> 16), UInt8(h & 0xFF), UInt8(h >> 8 & 0xFF), UInt8(h >> 16)]
            frame += [100, 0, 0, 0]
            frame += webpLossless(width: width, height: height).dropFirst(12)
            chunks.append(("ANMF", frame))
        }
        return riff(chunks)
    }

    static func riff(_ chunks: [(String, [UInt8])]) -> [UInt8] {
        var body = Array("WEBP".utf8)
        for (fourCC, data) in chunks {
            body += Array(fourCC.utf8)
            let size = UInt32(data.count)
            body += [UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 24)]
            body += data
            if data.count % 2 == 1 { body.append(0) }
        }
        let size = UInt32(body.count)
        return Array("RIFF".utf8) + [UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 24)] + body
    }

    /// The repository's Seed/ folder (real WebP and PNG files made by scripts/generate-seed).
    public static let seedDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Seed")

    /// Real media made with ffmpeg (Tests/Media): `video-sticker.webm` (512×512 VP9, 1 s, 30 fps) and
    /// `video-sticker-alpha.webm` (512×384 VP9 with an alpha stream, a half-transparent blue).
    public static func media(_ file: String) -> [UInt8] {
        let directory = seedDirectory.deletingLastPathComponent().appendingPathComponent("Tests").appendingPathComponent("Media")
        return Array((try? Data(contentsOf: directory.appendingPathComponent(file))) ?? Data())
    }

    /// Bytes of a seed file, e.g. `seed("blobs", "blob-happy.webp")`.
    public static func seed(_ pack: String, _ file: String) -> [UInt8] {
        Array((try? Data(contentsOf: seedDirectory.appendingPathComponent(pack).appendingPathComponent(file))) ?? Data())
    }
}
