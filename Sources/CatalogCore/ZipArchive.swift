import CompressNIO
import NIOCore

/// Why a zip upload was refused.
public enum ZipError: Error, Equatable, Sendable, CustomStringConvertible {
    case notAZip
    case unsupported(String)
    case unsafeEntry(name: String, reason: String)
    case tooManyEntries(Int)
    case tooLarge(inflatedBytes: Int)
    case suspiciousRatio(name: String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .notAZip: return "the body is not a zip archive"
        case .unsupported(let what): return "the zip uses \(what), which is not supported"
        case .unsafeEntry(let name, let reason): return "zip entry \"\(name)\" \(reason)"
        case .tooManyEntries(let count): return "the zip has \(count) entries, more than \(CatalogLimits.maximumZipEntries)"
        case .tooLarge(let bytes): return "the zip inflates to \(bytes) bytes, more than \(CatalogLimits.maximumZipInflatedBytes)"
        case .suspiciousRatio(let name): return "zip entry \"\(name)\" inflates more than \(CatalogLimits.maximumZipCompressionRatio)× (a zip bomb?)"
        case .corrupt(let reason): return "the zip is corrupt (\(reason))"
        }
    }
}

/// A zip archive read entirely from memory, validated from its central directory before anything is inflated.
///
/// Refused up front: more than `maximumZipEntries` entries, encryption, methods other than stored and deflate,
/// ZIP64, absolute paths, `..` components, backslashes, symlinks, duplicate names, declared sizes whose total
/// exceeds `maximumZipInflatedBytes`, and entries whose declared ratio betrays a zip bomb. Inflating is then bounded
/// by each entry's declared size and checked against its CRC, so a lying header cannot inflate past it either.
public struct ZipArchive: Sendable {
    /// One file in the archive (folders are dropped; a single top-level folder is stripped from names).
    public struct Entry: Sendable {
        public let name: String
        let method: UInt16
        let crc: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
    }

    public let entries: [Entry]
    let bytes: [UInt8]

    static func u16(_ bytes: [UInt8], _ offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 }
    static func u32(_ bytes: [UInt8], _ offset: Int) -> Int { u16(bytes, offset) | u16(bytes, offset + 2) << 16 }

    /// Reads and validates the central directory of `bytes`.
    public init(bytes: [UInt8]) throws(ZipError) {
        self.bytes = bytes
        guard bytes.count >= 22, bytes.starts(with: [0x50, 0x4B]) else { throw .notAZip }
        // The end-of-central-directory record sits in the last 22 + 65,535 (comment) bytes.
        var eocd = -1
        var position = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65_535)
        while position >= lowest {
            if bytes[position] == 0x50, bytes[position + 1] == 0x4B, bytes[position + 2] == 0x05, bytes[position + 3] == 0x06 {
                eocd = position
                break
            }
            position -= 1
        }
        guard eocd >= 0 else { throw .notAZip }
        let entryCount = Self.u16(bytes, eocd + 10)
        let directorySize = Self.u32(bytes, eocd + 12)
        let directoryOffset = Self.u32(bytes, eocd + 16)
        guard Self.u16(bytes, eocd + 4) == 0, Self.u16(bytes, eocd + 6) == 0, Self.u16(bytes, eocd + 8) == entryCount else {
            throw .unsupported("multiple disks")
        }
        if entryCount == 0xFFFF || directoryOffset == 0xFFFF_FFFF { throw .unsupported("ZIP64") }
        guard entryCount <= CatalogLimits.maximumZipEntries else { throw .tooManyEntries(entryCount) }
        guard directoryOffset + directorySize <= eocd else { throw .corrupt("central directory out of range") }

        var raw: [Entry] = []
        var offset = directoryOffset
        var declaredTotal = 0
        for _ in 0..<entryCount {
            guard offset + 46 <= eocd, Self.u32(bytes, offset) == 0x0201_4B50 else { throw .corrupt("bad central directory entry") }
            let madeBy = Self.u16(bytes, offset + 4)
            let flags = Self.u16(bytes, offset + 8)
            let method = UInt16(Self.u16(bytes, offset + 10))
            let crc = UInt32(Self.u32(bytes, offset + 16))
            let compressed = Self.u32(bytes, offset + 20)
            let uncompressed = Self.u32(bytes, offset + 24)
            let nameLength = Self.u16(bytes, offset + 28)
            let extraLength = Self.u16(bytes, offset + 30)
            let commentLength = Self.u16(bytes, offset + 32)
            let externalAttributes = Self.u32(bytes, offset + 38)
            let localOffset = Self.u32(bytes, offset + 42)
            guard offset + 46 + nameLength + extraLength + commentLength <= eocd else { throw .corrupt("central directory entry out of range") }
            guard let name = String(validating: bytes[(offset + 46)..<(offset + 46 + nameLength)], as: UTF8.self) else {
                throw .unsafeEntry(name: "?", reason: "has a name that is not UTF-8")
            }
            offset += 46 + nameLength + extraLength + commentLength

            if flags & 0x0001 != 0 { throw .unsupported("encryption") }
            if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || localOffset == 0xFFFF_FFFF { throw .unsupported("ZIP64") }
            if name.hasPrefix("/") || name.hasPrefix("\\") || (name.count >= 2 && Array(name.utf8)[1] == UInt8(ascii: ":")) {
                throw .unsafeEntry(name: name, reason: "has an absolute path")
            }
            if name.contains("\\") { throw .unsafeEntry(name: name, reason: "contains a backslash") }
            if name.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
                throw .unsafeEntry(name: name, reason: "climbs out of the archive with ..")
            }
            if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                throw .unsafeEntry(name: name, reason: "has control characters in its name")
            }
            let unixMode = externalAttributes >> 16
            if madeBy >> 8 == 3, unixMode & 0xF000 == 0xA000 { throw .unsafeEntry(name: name, reason: "is a symlink") }
            if name.hasSuffix("/") { continue }
            // Junk that macOS and Windows archivers add; it is neither a pack file nor a reason to refuse.
            if name.hasPrefix("__MACOSX/") || name == ".DS_Store" || name.hasSuffix("/.DS_Store") || name == "Thumbs.db" { continue }
            guard method == 0 || method == 8 else { throw .unsupported("compression method \(method)") }
            if method == 0, compressed != uncompressed { throw .corrupt("stored entry \(name) has two sizes") }
            if uncompressed > CatalogLimits.maximumZipCompressionRatio * max(compressed, 1) { throw .suspiciousRatio(name: name) }
            declaredTotal += uncompressed
            guard declaredTotal <= CatalogLimits.maximumZipInflatedBytes else { throw .tooLarge(inflatedBytes: declaredTotal) }
            raw.append(Entry(name: name, method: method, crc: crc, compressedSize: compressed, uncompressedSize: uncompressed, localHeaderOffset: localOffset))
        }

        // Archives made with `zip -r pack.zip pack/` put everything under one folder: strip it.
        let folders = Set(raw.map { $0.name.split(separator: "/", maxSplits: 1).count == 2 ? String($0.name.split(separator: "/", maxSplits: 1)[0]) : "" })
        if folders.count == 1, let folder = folders.first, !folder.isEmpty {
            raw = raw.map { Entry(name: String($0.name.dropFirst(folder.count + 1)), method: $0.method, crc: $0.crc, compressedSize: $0.compressedSize, uncompressedSize: $0.uncompressedSize, localHeaderOffset: $0.localHeaderOffset) }
        }
        var seen = Set<String>()
        for entry in raw {
            guard seen.insert(entry.name).inserted else { throw .unsafeEntry(name: entry.name, reason: "appears twice") }
        }
        entries = raw
    }

    /// Inflates one entry, never past its declared size, and checks its CRC.
    public func contents(of entry: Entry) throws(ZipError) -> [UInt8] {
        let header = entry.localHeaderOffset
        guard header + 30 <= bytes.count, Self.u32(bytes, header) == 0x0403_4B50 else { throw .corrupt("bad local header for \(entry.name)") }
        let start = header + 30 + Self.u16(bytes, header + 26) + Self.u16(bytes, header + 28)
        guard start + entry.compressedSize <= bytes.count else { throw .corrupt("\(entry.name) runs past the end of the archive") }
        let data = bytes[start..<(start + entry.compressedSize)]
        let output: [UInt8]
        if entry.method == 0 {
            output = Array(data)
        } else {
            var input = ByteBuffer(bytes: data)
            do {
                var inflated = try input.decompress(with: .deflate(), maxSize: entry.uncompressedSize)
                output = inflated.readBytes(length: inflated.readableBytes) ?? []
            } catch {
                throw .corrupt("\(entry.name) does not inflate to its declared \(entry.uncompressedSize) bytes")
            }
        }
        guard output.count == entry.uncompressedSize, CRC32.checksum(output) == entry.crc else {
            throw .corrupt("\(entry.name) fails its size or CRC check")
        }
        return output
    }
}
