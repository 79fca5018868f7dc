/// Writes a zip archive of stored (uncompressed) entries: sticker images are compressed already, and a stored zip
/// is what WhatsApp's and Telegram's tools read. Entries get a fixed date, so the same files give the same bytes.
public struct ZipWriter {
    private var output: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0

    public init() {}

    /// Adds `bytes` as `path` (forward slashes, no leading slash).
    public mutating func add(_ path: String, _ bytes: [UInt8]) {
        let name = Array(path.utf8)
        let crc = CRC32.checksum(bytes)
        let offset = output.count
        // 1980-01-01 00:00, the earliest DOS date: no clock in the bytes.
        let (time, date): (UInt16, UInt16) = (0, 0x21)
        output += Self.le32(0x0403_4B50) + Self.le16(20) + Self.le16(0x0800) + Self.le16(0) + Self.le16(time) + Self.le16(date)
            + Self.le32(crc) + Self.le32(UInt32(bytes.count)) + Self.le32(UInt32(bytes.count)) + Self.le16(UInt16(name.count)) + Self.le16(0)
        output += name + bytes
        central += Self.le32(0x0201_4B50) + Self.le16(20) + Self.le16(20) + Self.le16(0x0800) + Self.le16(0) + Self.le16(time) + Self.le16(date)
            + Self.le32(crc) + Self.le32(UInt32(bytes.count)) + Self.le32(UInt32(bytes.count)) + Self.le16(UInt16(name.count))
            + Self.le16(0) + Self.le16(0) + Self.le16(0) + Self.le16(0) + Self.le32(0o100644 << 16) + Self.le32(UInt32(offset))
        central += name
        count += 1
    }

    /// The archive: entries, central directory, end record.
    public var bytes: [UInt8] {
        output + central + Self.le32(0x0605_4B50) + Self.le16(0) + Self.le16(0) + Self.le16(UInt16(count)) + Self.le16(UInt16(count))
            + Self.le32(UInt32(central.count)) + Self.le32(UInt32(output.count)) + Self.le16(0)
    }

    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { le16(UInt16(value & 0xFFFF)) + le16(UInt16(value >> 16)) }
}
