import CatalogCore
import CompressNIO
import NIOCore

/// Writes zip archives, including the malicious shapes uploads must refuse.
public struct ZipFactory {
    public struct Entry {
        public var name: String
        public var bytes: [UInt8]
        public var deflate: Bool = true
        public var symlink: Bool = false
        /// Overrides the declared uncompressed size (a lying header).
        public var declaredSize: Int?
        public var encrypted: Bool = false

        public init(name: String, bytes: [UInt8], deflate: Bool = true, symlink: Bool = false, declaredSize: Int? = nil, encrypted: Bool = false) {
            self.name = name
            self.bytes = bytes
            self.deflate = deflate
            self.symlink = symlink
            self.declaredSize = declaredSize
            self.encrypted = encrypted
        }
    }

    static func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
    static func le32(_ value: Int) -> [UInt8] { le16(value & 0xFFFF) + le16(value >> 16 & 0xFFFF) }

    public static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        var compressed = try! buffer.compress(with: .deflate())
        return compressed.readBytes(length: compressed.readableBytes)!
    }

    /// The archive's bytes.
    public static func archive(_ entries: [Entry]) -> [UInt8] {
        var output: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let data = entry.deflate ? deflate(entry.bytes) : entry.bytes
            let method = entry.deflate ? 8 : 0
            let crc = Int(CRC32.checksum(entry.bytes))
            let size = entry.declaredSize ?? entry.bytes.count
            let name = Array(entry.name.utf8)
            let flags = entry.encrypted ? 1 : 0
            let offset = output.count
            output += le32(0x0403_4B50) + le16(20) + le16(flags) + le16(method) + le16(0) + le16(0) + le32(crc)
            output += le32(data.count) + le32(size) + le16(name.count) + le16(0) + name + data
            let madeBy = entry.symlink ? (3 << 8 | 20) : 20
            let attributes = entry.symlink ? (0o120777 << 16) : (0o100644 << 16)
            central += le32(0x0201_4B50) + le16(madeBy) + le16(20) + le16(flags) + le16(method) + le16(0) + le16(0) + le32(crc)
            central += le32(data.count) + le32(size) + le16(name.count) + le16(0) + le16(0) + le16(0) + le16(0) + le32(attributes) + le32(offset) + name
        }
        let directoryOffset = output.count
        output += central
        output += le32(0x0605_4B50) + le16(0) + le16(0) + le16(entries.count) + le16(entries.count) + le32(central.count) + le32(directoryOffset) + le16(0)
        return output
    }
}
