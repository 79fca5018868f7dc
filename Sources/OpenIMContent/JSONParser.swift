/// A strict RFC 8259 parser over UTF-8 bytes.
///
/// Written by hand rather than using `JSONDecoder` for two reasons: decoding a sticker payload must take a few
/// microseconds (Foundation's decoder takes tens), and every failure must be a typed error, never a crash,
/// whatever bytes arrive from a webhook. Invalid UTF-8, duplicate keys, trailing data and nesting deeper than
/// `maximumDepth` are refused.
public struct JSONParser {
    /// Nesting limit; our payloads are two levels deep, OpenIM's bodies four.
    public static let maximumDepth = 32

    /// Parses `text` as one JSON document.
    public static func parse(_ text: String) throws(OpenIMContentError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { buffer in Result { () throws(OpenIMContentError) in try parse(buffer) } }
        return try result.get()
    }

    /// Parses `bytes` as one JSON document.
    public static func parse(_ bytes: some Collection<UInt8>) throws(OpenIMContentError) -> JSONValue {
        let result: Result<JSONValue, OpenIMContentError>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(OpenIMContentError) in try parse(buffer) }
        }
        if let result { return try result.get() }
        let array = Array(bytes)
        let copied = array.withUnsafeBufferPointer { buffer in Result { () throws(OpenIMContentError) in try parse(buffer) } }
        return try copied.get()
    }

    /// Parses the bytes of `buffer` as one JSON document.
    public static func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws(OpenIMContentError) -> JSONValue {
        var parser = Cursor(bytes: buffer)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == buffer.count else { throw parser.error("unexpected data after the document") }
        return value
    }

    struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        /// Nesting allowed (documents other than OpenIM's, such as Lottie animations, nest deeper).
        var depthLimit = JSONParser.maximumDepth

        func error(_ reason: String) -> OpenIMContentError {
            .malformedJSON("\(reason) at byte \(index)")
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func parseValue(depth: Int) throws(OpenIMContentError) -> JSONValue {
            guard depth < depthLimit else { throw error("nesting deeper than \(depthLimit)") }
            guard index < bytes.count else { throw error("unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw error("unexpected character")
            }
        }

        mutating func expectLiteral(_ literal: StaticString) throws(OpenIMContentError) {
            let count = literal.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw error("unexpected end of input") }
            let start = literal.utf8Start
            for offset in 0..<count where bytes[index + offset] != start[offset] {
                throw error("invalid literal")
            }
            index += count
        }

        mutating func parseObject(depth: Int) throws(OpenIMContentError) -> JSONValue {
            index += 1
            var members: [(key: String, value: JSONValue)] = []
            // Our payloads have about ten members: one allocation instead of five growth steps.
            members.reserveCapacity(16)
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                let key = try parseString()
                // Names compare as bytes (RFC 8259 compares code units), not as canonically equivalent Strings.
                let length = key.utf8.count
                // String equality first (cheap, and implied by equal bytes), then the bytes themselves.
                if members.contains(where: { $0.key.utf8.count == length && $0.key == key && ByteScan.sameUTF8($0.key, key) }) {
                    throw error("duplicate member \"\(key)\"")
                }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
                index += 1
                skipWhitespace()
                let value = try parseValue(depth: depth + 1)
                members.append((key, value))
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw error("expected ',' or '}'")
            }
        }

        mutating func parseArray(depth: Int) throws(OpenIMContentError) -> JSONValue {
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw error("unexpected end of input") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
                throw error("expected ',' or ']'")
            }
        }

        mutating func parseNumber() throws(OpenIMContentError) -> JSONValue {
            let start = index
            var isInteger = true
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count else { throw error("unexpected end of input") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else if (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[index]) {
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            } else {
                throw error("invalid number")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                isInteger = false
                index += 1
                let digits = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                guard index > digits else { throw error("invalid number") }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                isInteger = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                let digits = index
                while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
                guard index > digits else { throw error("invalid number") }
            }
            if isInteger, let value = integerValue(from: start) { return .integer(value) }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let value = Double(text), value.isFinite else { throw error("number out of range") }
            return .double(value)
        }

        /// The integer written in `bytes[start..<index]` (an optional minus and digits, already checked), or nil
        /// when it does not fit in 64 bits.
        func integerValue(from start: Int) -> Int64? {
            var position = start
            let negative = bytes[position] == UInt8(ascii: "-")
            if negative { position += 1 }
            var magnitude: UInt64 = 0
            while position < index {
                let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
                if overflow1 || overflow2 { return nil }
                magnitude = sum
                position += 1
            }
            if negative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
            return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
        }

        mutating func parseString() throws(OpenIMContentError) -> String {
            index += 1
            let start = index
            // Fast path: no escapes, so the bytes between the quotes are the string.
            let (end, ascii) = ByteScan.firstSpecialForReading(bytes, from: start)
            index = end
            if index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    index += 1
                    guard let string = ByteScan.string(validating: slice, ascii: ascii) else { throw error("invalid UTF-8") }
                    return string
                }
                if byte < 0x20 { throw error("control character in string") }
            }
            // Escapes: decode into a buffer as long as the rest of the input (the text is never longer than its
            // JSON), copying runs between escapes whole, then make the String in one copy.
            var decoded = Unescaped(capacity: bytes.count - start)
            defer { decoded.deallocate() }
            var allASCII = ascii
            decoded.append(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let runStart = index
                let (end, runASCII) = ByteScan.firstSpecialForReading(bytes, from: index)
                index = end
                allASCII = allASCII && runASCII
                decoded.append(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                guard index < bytes.count else { break }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    guard let string = ByteScan.string(validating: decoded.bytes, ascii: allASCII) else {
                        throw error("invalid UTF-8")
                    }
                    return string
                }
                if byte < 0x20 { throw error("control character in string") }
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""): decoded.append(0x22)
                case UInt8(ascii: "\\"): decoded.append(0x5C)
                case UInt8(ascii: "/"): decoded.append(0x2F)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try parseUnicodeEscape()
                    // At most four bytes from six or twelve of input.
                    for unit in UTF8.encode(scalar)! { decoded.append(unit) }
                    if !scalar.isASCII { allASCII = false }
                default:
                    throw error("invalid escape")
                }
            }
            throw error("unterminated string")
        }

        /// A string's unescaped bytes, written into one allocation as long as the rest of the input.
        struct Unescaped {
            private let storage: UnsafeMutablePointer<UInt8>
            private(set) var count = 0

            init(capacity: Int) { storage = .allocate(capacity: max(capacity, 1)) }

            var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: storage, count: count) }

            mutating func append(_ run: UnsafeBufferPointer<UInt8>) {
                guard let base = run.baseAddress, !run.isEmpty else { return }
                (storage + count).initialize(from: base, count: run.count)
                count += run.count
            }

            mutating func append(_ byte: UInt8) {
                storage[count] = byte
                count += 1
            }

            func deallocate() { storage.deallocate() }
        }

        /// The scalar of a `\u` escape whose `\u` has been read: four hex digits, and for a high surrogate the
        /// `\u` low surrogate that must follow.
        mutating func parseUnicodeEscape() throws(OpenIMContentError) -> Unicode.Scalar {
            var code = try parseHex4()
            if (0xD800...0xDBFF).contains(code) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw error("unpaired surrogate")
                }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(code) {
                throw error("unpaired surrogate")
            }
            guard let scalar = Unicode.Scalar(code) else { throw error("invalid escape") }
            return scalar
        }

        mutating func parseHex4() throws(OpenIMContentError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw error("invalid \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw error("invalid \\u escape")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }
    }
}
