/// Writes compact, deterministic JSON as UTF-8 bytes.
///
/// Members are written in the order the caller gives, and callers give them sorted by key (byte order), so the
/// same value always produces the same bytes: the catalog's ETags and golden-vector tests depend on it. Slashes are
/// not escaped and non-ASCII text is written as UTF-8, as Go's and Foundation's sorted encoders do.
public struct JSONWriter: Sendable {
    /// The bytes written so far.
    public internal(set) var bytes: [UInt8] = []
    /// Whether the JSON being written goes inside a string literal of an enclosing document (see
    /// `embeddedString`): every byte is then written escaped once more.
    var embedded = false

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
        guard !embedded else { return embeddedLiteral(value) }
        bytes.append(UInt8(ascii: "\""))
        Self.appendEscaped(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// `string(_:)` inside `embeddedString`: the literal's quotes and its content escaped once more.
    mutating func embeddedLiteral(_ value: String) {
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "\""))
        Self.appendEscaped(value, to: &bytes, embedded: true)
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes a string literal whose content is the JSON text `body` writes, in one pass: the same bytes as
    /// writing that JSON on its own and then writing the result with `string(_:)`, without the intermediate text.
    /// (How a custom message's `data` carries our payload.) Returns where the literal's content is in `bytes`.
    @discardableResult
    public mutating func embeddedString(_ body: (inout JSONWriter) -> Void) -> Range<Int> {
        precondition(!embedded, "a string inside a string inside a document is not supported")
        bytes.append(UInt8(ascii: "\""))
        let start = bytes.count
        embedded = true
        body(&self)
        embedded = false
        let end = bytes.count
        bytes.append(UInt8(ascii: "\""))
        return start..<end
    }

    /// The length the JSON text written by `embeddedString` has on its own (at most the length of `range`).
    ///
    /// Escaping once more only adds a backslash before each quote and each backslash of the text: with r₁ quotes
    /// and r₂ backslashes in the text, the escaped form has r₁ quotes and r₁ + 2·r₂ backslashes, so the bytes added
    /// are half the escaped form's quotes and backslashes together.
    public func unescapedLength(of range: Range<Int>) -> Int {
        var specials = 0
        for index in range where bytes[index] == UInt8(ascii: "\\") || bytes[index] == UInt8(ascii: "\"") { specials &+= 1 }
        return range.count - specials / 2
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
    public mutating func raw(_ json: [UInt8]) {
        guard embedded else {
            bytes.append(contentsOf: json)
            return
        }
        json.withUnsafeBufferPointer { Self.appendEscapedOnce(utf8: $0, to: &bytes) }
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
    ///
    /// `embedded` escapes twice, for text inside a string literal of JSON that itself goes inside a string literal
    /// (`"` becomes `\\\"`, a control byte `\\u00XX`); plain bytes are the same either way.
    public static func appendEscaped(_ value: String, to bytes: inout [UInt8], embedded: Bool = false) {
        var value = value
        value.withUTF8 { utf8 in
            if embedded {
                appendEscapedTwice(utf8: utf8, to: &bytes)
            } else {
                appendEscapedOnce(utf8: utf8, to: &bytes)
            }
        }
    }

    /// `appendEscaped` for UTF-8 bytes (valid UTF-8: a C1 check looks at the byte after 0xC2).
    static func appendEscapedOnce(utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        appendEscaped(utf8: utf8, to: &bytes, longestEscape: 6, escape: writeEscape)
    }

    /// The embedded case of `appendEscaped`: every escape twice over.
    static func appendEscapedTwice(utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8]) {
        appendEscaped(utf8: utf8, to: &bytes, longestEscape: 7, escape: writeEscapeTwice)
    }

    /// The escaping loop both use, inlined into each so `escape` is a direct call: plain runs are copied, bytes
    /// needing an escape are written by `escape` (at most `longestEscape` bytes each), through a buffer on the
    /// stack, 160 input bytes at a time.
    @inline(__always)
    private static func appendEscaped(
        utf8: UnsafeBufferPointer<UInt8>, to bytes: inout [UInt8], longestEscape: Int,
        escape: (UInt8, UnsafeMutableBufferPointer<UInt8>, Int) -> Int
    ) {
        let count = utf8.count
        let start = ByteScan.firstSpecialForWriting(utf8, from: 0)
        // Most strings (keys, ids, URLs) need nothing: one bulk copy.
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[0..<start]))
        guard start < count else { return }
        let chunk = 160
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunk * longestEscape) { output in
            var index = start
            while index < count {
                let chunkEnd = min(count, index + chunk)
                var out = 0
                while index < chunkEnd {
                    let byte = utf8[index]
                    if byte >= 0x20, byte < 0x7F, byte != 0x22, byte != 0x5C {
                        output[out] = byte
                        out += 1
                        index += 1
                    } else if byte >= 0x80 {
                        if byte == 0xC2, index + 1 < count, (0x80...0x9F).contains(utf8[index + 1]) {
                            out = escape(utf8[index + 1], output, out)
                            index += 2
                        } else {
                            output[out] = byte
                            out += 1
                            index += 1
                        }
                    } else {
                        out = escape(byte, output, out)
                        index += 1
                    }
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: output[0..<out]))
            }
        }
    }

    /// Writes the escape for `byte` at `position` escaped once more; the position after it.
    static func writeEscapeTwice(_ byte: UInt8, into output: UnsafeMutableBufferPointer<UInt8>, at position: Int) -> Int {
        // The escape written once, then each of its bytes escaped again: only its backslash and a quote change.
        var once: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &once) { raw in
            let scratch = raw.bindMemory(to: UInt8.self)
            let length = writeEscape(byte, into: scratch, at: 0)
            var out = position
            for index in 0..<length {
                let escaped = scratch[index]
                if escaped == UInt8(ascii: "\\") || escaped == UInt8(ascii: "\"") {
                    output[out] = UInt8(ascii: "\\")
                    out &+= 1
                }
                output[out] = escaped
                out &+= 1
            }
            return out
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
