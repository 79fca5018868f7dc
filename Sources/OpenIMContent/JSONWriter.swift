/// Writes compact, deterministic JSON as UTF-8 bytes.
///
/// Members are written in the order the caller gives, and callers give them sorted by key (byte order), so the
/// same value always produces the same bytes: the catalog's ETags and golden-vector tests depend on it. Slashes are
/// not escaped and non-ASCII text is written as UTF-8, as Go's and Foundation's sorted encoders do.
public struct JSONWriter: Sendable {
    /// The bytes written so far.
    public internal(set) var bytes: [UInt8] = []

    /// Creates an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    /// The output as a String (always valid UTF-8).
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Writes an object; `body` writes its members with `ObjectWriter` in ascending key order.
    public mutating func object(_ body: (inout ObjectWriter) -> Void) {
        // Move the buffer into the object writer rather than share it: a shared buffer would be copied on the
        // first append (one allocation and copy per nested object).
        var taken = JSONWriter(capacity: 0)
        swap(&taken, &self)
        var members = ObjectWriter(writer: consume taken)
        body(&members)
        self = members.finish()
    }

    /// Writes a JSON string literal for `value`.
    public mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        Self.appendEscaped(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes an integer (digits written directly: no String per number on the hot path).
    public mutating func integer<T: BinaryInteger>(_ value: T) {
        guard let number = Int64(exactly: value) else {
            bytes.append(contentsOf: String(value).utf8)
            return
        }
        if number == 0 { bytes.append(UInt8(ascii: "0")); return }
        var magnitude = number.magnitude
        if number < 0 { bytes.append(UInt8(ascii: "-")) }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        if value {
            bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
        } else {
            bytes.append(contentsOf: [UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e")])
        }
    }

    /// Writes `null`.
    public mutating func null() {
        bytes.append(contentsOf: "null".utf8)
    }

    /// Writes bytes that already are one valid JSON value.
    public mutating func raw(_ json: some Sequence<UInt8>) {
        bytes.append(contentsOf: json)
    }

    /// Writes an array, letting `body` write each element.
    public mutating func array<Elements: Sequence>(_ elements: Elements, _ body: (inout JSONWriter, Elements.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for element in elements {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            body(&self, element)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes a string-to-string object (localized texts) with its keys sorted.
    public mutating func stringObject(_ values: [String: String]) {
        object { object in
            for key in values.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) { object.member(key, values[key]!) }
        }
    }

    /// Writes an array of strings.
    public mutating func strings(_ values: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (offset, value) in values.enumerated() {
            if offset > 0 { bytes.append(UInt8(ascii: ",")) }
            string(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes any parsed value, sorting object members by key.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .integer(let number): integer(number)
        case .double(let number): bytes.append(contentsOf: "\(number)".utf8)
        case .string(let text): string(text)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (offset, element) in elements.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                self.value(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            bytes.append(UInt8(ascii: "{"))
            for (offset, member) in sorted.enumerated() {
                if offset > 0 { bytes.append(UInt8(ascii: ",")) }
                string(member.key)
                bytes.append(UInt8(ascii: ":"))
                self.value(member.value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `value` escaped for use inside a JSON string literal.
    ///
    /// Besides what JSON requires (quote, backslash, C0 controls), DEL and the C1 controls (U+0080–U+009F) are
    /// written as `\u00XX`: no text needs them raw, and a raw C1 byte makes clients that guess a charset (Python's
    /// requests does) pick a multi-byte legacy encoding that swallows the next backslash.
    public static func appendEscaped(_ value: String, to bytes: inout [UInt8]) {
        var value = value
        value.withUTF8 { utf8 in
            let count = utf8.count
            let start = ByteScan.firstSpecialForWriting(utf8, from: 0)
            // Most strings (keys, ids, URLs) need nothing: one bulk copy.
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[0..<start]))
            guard start < count else { return }
            // Escape through a buffer on the stack, a chunk of input at a time: an escape is at most six bytes, so
            // 160 input bytes always fit in 960.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 960) { output in
                var index = start
                while index < count {
                    let chunkEnd = min(count, index + 160)
                    var out = 0
                    while index < chunkEnd {
                        let byte = utf8[index]
                        if byte >= 0x20, byte < 0x7F, byte != 0x22, byte != 0x5C {
                            output[out] = byte
                            out += 1
                            index += 1
                        } else if byte >= 0x80 {
                            if byte == 0xC2, index + 1 < count, (0x80...0x9F).contains(utf8[index + 1]) {
                                out = writeEscape(utf8[index + 1], into: output, at: out)
                                index += 2
                            } else {
                                output[out] = byte
                                out += 1
                                index += 1
                            }
                        } else {
                            out = writeEscape(byte, into: output, at: out)
                            index += 1
                        }
                    }
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: output[0..<out]))
                }
            }
        }
    }

    /// Writes the escape for `byte` at `position`; the position after it.
    @inline(__always)
    static func writeEscape(_ byte: UInt8, into output: UnsafeMutableBufferPointer<UInt8>, at position: Int) -> Int {
        let short: UInt8
        switch byte {
        case UInt8(ascii: "\""): short = byte
        case UInt8(ascii: "\\"): short = byte
        case 0x0A: short = UInt8(ascii: "n")
        case 0x0D: short = UInt8(ascii: "r")
        case 0x09: short = UInt8(ascii: "t")
        case 0x08: short = UInt8(ascii: "b")
        case 0x0C: short = UInt8(ascii: "f")
        default:
            let hex: StaticString = "0123456789abcdef"
            output[position] = 0x5C
            output[position + 1] = UInt8(ascii: "u")
            output[position + 2] = UInt8(ascii: "0")
            output[position + 3] = UInt8(ascii: "0")
            output[position + 4] = hex.utf8Start[Int(byte >> 4)]
            output[position + 5] = hex.utf8Start[Int(byte & 0xF)]
            return position + 6
        }
        output[position] = 0x5C
        output[position + 1] = short
        return position + 2
    }
}

/// Writes the members of one JSON object; keys must be given in ascending byte order.
public struct ObjectWriter {
    var writer: JSONWriter
    var count = 0
    #if DEBUG
    var lastKey: String?
    #endif

    init(writer: JSONWriter) {
        self.writer = writer
        self.writer.bytes.append(UInt8(ascii: "{"))
    }

    mutating func finish() -> JSONWriter {
        writer.bytes.append(UInt8(ascii: "}"))
        return writer
    }

    /// Writes the member name and lets `body` write its value.
    public mutating func member(_ key: String, _ body: (inout JSONWriter) -> Void) {
        #if DEBUG
        if let lastKey { assert(lastKey.utf8.lexicographicallyPrecedes(key.utf8), "keys out of order: \(lastKey) then \(key)") }
        lastKey = key
        #endif
        if count > 0 { writer.bytes.append(UInt8(ascii: ",")) }
        count += 1
        writer.string(key)
        writer.bytes.append(UInt8(ascii: ":"))
        body(&writer)
    }

    /// Writes a string member.
    public mutating func member(_ key: String, _ value: String) { member(key) { $0.string(value) } }
    /// Writes a string member when the value is present.
    public mutating func member(_ key: String, _ value: String?) { if let value { member(key, value) } }
    /// Writes an integer member.
    public mutating func member<T: BinaryInteger>(_ key: String, _ value: T) { member(key) { $0.integer(value) } }
    /// Writes an integer member when the value is present.
    public mutating func member<T: BinaryInteger>(_ key: String, _ value: T?) { if let value { member(key, value) } }
    /// Writes a boolean member.
    public mutating func member(_ key: String, _ value: Bool) { member(key) { $0.bool(value) } }
    /// Writes an array-of-strings member.
    public mutating func member(_ key: String, _ values: [String]) { member(key) { $0.strings(values) } }
}
