/// Byte scans for the hot paths of the JSON reader and writer: eight bytes at a time where they can be, and a
/// UTF-8 validator that the compiler specialises (the standard library's `String(validating:as:)` is generic over
/// the encoding and spent a quarter of a decode looking up generic metadata at run time).
enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Whether some byte of `word` is below `limit` (limit ≤ 128; may report a byte that is not, never misses one).
    @inline(__always)
    private static func hasByteBelow(_ word: UInt64, _ limit: UInt8) -> Bool {
        (word &- ones &* UInt64(limit)) & ~word & highs != 0
    }

    /// Whether some byte of `word` equals `byte` (may report a false match, never misses one).
    @inline(__always)
    private static func hasByte(_ word: UInt64, _ byte: UInt8) -> Bool {
        hasByteBelow(word ^ (ones &* UInt64(byte)), 1)
    }

    /// Whether two strings are the same bytes (for ASCII keys that is String equality; for payloads it is the
    /// stricter "same bytes"), eight at a time: the generic `elementsEqual` over UTF-8 views walked them one index
    /// at a time and was a tenth of a webhook's CPU.
    static func sameUTF8(_ lhs: String, _ rhs: String) -> Bool {
        guard lhs.utf8.count == rhs.utf8.count else { return false }
        var lhs = lhs
        var rhs = rhs
        return lhs.withUTF8 { left in
            rhs.withUTF8 { right in
                guard let a = left.baseAddress, let b = right.baseAddress else { return true }
                let count = left.count
                var index = 0
                while index + 8 <= count {
                    if UnsafeRawPointer(a + index).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + index).loadUnaligned(as: UInt64.self) {
                        return false
                    }
                    index += 8
                }
                while index < count {
                    if a[index] != b[index] { return false }
                    index += 1
                }
                return true
            }
        }
    }

    /// The index of the first byte at or after `start` that may need attention when writing a JSON string: a
    /// control byte, a quote, a backslash, or any byte from 0x7F up (DEL and the C1 controls are escaped too).
    /// Bytes before the returned index are plain printable ASCII.
    @inline(__always)
    static func firstSpecialForWriting(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var index = start
        let count = bytes.count
        if let base = bytes.baseAddress {
            while index + 8 <= count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if word & highs != 0 || hasByteBelow(word, 0x20) || hasByte(word, 0x22) || hasByte(word, 0x5C) || hasByte(word, 0x7F) { break }
                index += 8
            }
        }
        while index < count {
            let byte = bytes[index]
            if byte < 0x20 || byte >= 0x7F || byte == 0x22 || byte == 0x5C { return index }
            index += 1
        }
        return count
    }

    /// The index of the first quote, backslash or control byte at or after `start` (the end of a string's plain
    /// run when reading JSON), and whether every byte before it is ASCII.
    @inline(__always)
    static func firstSpecialForReading(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (index: Int, ascii: Bool) {
        var index = start
        var high: UInt64 = 0
        let count = bytes.count
        if let base = bytes.baseAddress {
            while index + 8 <= count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                // Bytes from 0x80 up never count as below 0x20 here, so UTF-8 text stays on this path.
                if hasByteBelow(word, 0x20) || hasByte(word, 0x22) || hasByte(word, 0x5C) { break }
                high |= word
                index += 8
            }
        }
        var ascii = high & highs == 0
        while index < count {
            let byte = bytes[index]
            if byte < 0x20 || byte == 0x22 || byte == 0x5C { break }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        return (index, ascii)
    }

    /// Whether `bytes` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = bytes.count
        if let base = bytes.baseAddress {
            while index + 8 <= count, UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self) & highs == 0 { index += 8 }
        }
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 { index += 1; continue }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false
            }
            guard index + length <= count else { return false }
            let second = bytes[index + 1]
            guard second >= low, second <= high else { return false }
            for offset in 2..<max(2, length) where bytes[index + offset] & 0xC0 != 0x80 { return false }
            index += length
        }
        return true
    }

    /// The bytes as a String, or nil when they are not valid UTF-8; `ascii` when a scan already found them ASCII.
    @inline(__always)
    static func string(validating bytes: UnsafeBufferPointer<UInt8>, ascii: Bool = false) -> String? {
        // Once validated, `String(decoding:)` has nothing to repair.
        ascii || isValidUTF8(bytes) ? String(decoding: bytes, as: UTF8.self) : nil
    }

    /// Whether any byte of `value` satisfies `test`, reading its UTF-8 in place.
    @inline(__always)
    static func contains(_ value: String, where test: (UInt8) -> Bool) -> Bool {
        if let found = value.utf8.withContiguousStorageIfAvailable({ $0.contains(where: test) }) { return found }
        return value.utf8.contains(where: test)
    }
}
