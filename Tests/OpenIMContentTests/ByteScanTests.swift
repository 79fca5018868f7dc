@testable import OpenIMContent
import Testing

/// The word-at-a-time scans and the UTF-8 validator against plain byte-by-byte definitions, on random input that
/// is dense in the bytes they look for (so every lane of an eight-byte word gets its turn).
@Suite("Byte scans agree with their byte-by-byte definitions")
struct ByteScanTests {
    /// Random byte strings drawn mostly from the interesting bytes.
    static func samples(count: Int, seed: UInt64) -> [[UInt8]] {
        var generator = SplitMix(seed: seed)
        let interesting: [UInt8] = [0x00, 0x1F, 0x20, 0x21, 0x22, 0x5C, 0x7E, 0x7F, 0x80, 0x9F, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x61]
        return (0..<count).map { _ in
            let length = Int(generator.next() % 40)
            return (0..<length).map { _ in
                generator.next() % 3 == 0 ? UInt8(truncatingIfNeeded: generator.next()) : interesting[Int(generator.next() % UInt64(interesting.count))]
            }
        }
    }

    @Test func validatorAgreesWithTheStandardLibrary() {
        for bytes in Self.samples(count: 20_000, seed: 1) + [[0xF0, 0x9F, 0x91, 0x8B], [0xED, 0xA0, 0x80], [0xC0, 0x80], [0xF4, 0x90, 0x80, 0x80]] {
            let ours = bytes.withUnsafeBufferPointer { ByteScan.isValidUTF8($0) }
            #expect(ours == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }

    @Test func scansStopAtTheFirstByteTheyLookFor() {
        for bytes in Self.samples(count: 20_000, seed: 2) {
            bytes.withUnsafeBufferPointer { buffer in
                for start in [0, min(3, bytes.count)] {
                    let writing = bytes[start...].firstIndex { $0 < 0x20 || $0 >= 0x7F || $0 == 0x22 || $0 == 0x5C } ?? bytes.count
                    #expect(ByteScan.firstSpecialForWriting(buffer, from: start) == writing, "\(bytes) from \(start)")
                    let reading = bytes[start...].firstIndex { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C } ?? bytes.count
                    let (index, ascii) = ByteScan.firstSpecialForReading(buffer, from: start)
                    #expect(index == reading, "\(bytes) from \(start)")
                    #expect(ascii == bytes[start..<reading].allSatisfy { $0 < 0x80 }, "\(bytes) from \(start)")
                }
            }
        }
    }

    /// The writer's escaping against a direct definition: quote, backslash and the named C0 escapes short, other
    /// C0 controls, DEL and C1 controls as \u00XX, everything else as is.
    @Test func escapingMatchesItsDefinition() throws {
        for bytes in Self.samples(count: 5_000, seed: 3) {
            let text = String(decoding: bytes, as: UTF8.self)
            var expected: [UInt8] = []
            for scalar in text.unicodeScalars {
                switch scalar.value {
                case 0x22: expected += [0x5C, 0x22]
                case 0x5C: expected += [0x5C, 0x5C]
                case 0x0A: expected += Array("\\n".utf8)
                case 0x0D: expected += Array("\\r".utf8)
                case 0x09: expected += Array("\\t".utf8)
                case 0x08: expected += Array("\\b".utf8)
                case 0x0C: expected += Array("\\f".utf8)
                case 0x00..<0x20, 0x7F...0x9F:
                    let hex = String(scalar.value, radix: 16)
                    expected += Array(("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).utf8)
                default: expected += Array(String(scalar).utf8)
                }
            }
            var written: [UInt8] = []
            JSONWriter.appendEscaped(text, to: &written)
            #expect(written == expected, "\(bytes)")
            // And the parser reads it back.
            #expect(try JSONParser.parse([0x22] + written + [0x22]) == .string(text))
        }
    }

    /// Embedded escaping (JSON text inside a string literal, inside a string literal) is escaping applied twice.
    @Test func embeddedEscapingIsEscapingTwice() throws {
        for bytes in Self.samples(count: 5_000, seed: 4) {
            let text = String(decoding: bytes, as: UTF8.self)
            var once: [UInt8] = []
            JSONWriter.appendEscaped(text, to: &once)
            var twice: [UInt8] = []
            JSONWriter.appendEscaped(String(decoding: once, as: UTF8.self), to: &twice)
            var embedded: [UInt8] = []
            JSONWriter.appendEscaped(text, to: &embedded, embedded: true)
            #expect(embedded == twice, "\(bytes)")
        }
    }

    /// Raw JSON inside an embedded string is escaped once, like the rest of the embedded JSON's structure.
    @Test func rawJSONInsideAnEmbeddedStringIsEscapedOnce() throws {
        let inner = #"{"a":"b\"c","n":[1,2]}"#
        var embedded = JSONWriter()
        embedded.embeddedString { $0.raw(Array(inner.utf8)) }
        var plain = JSONWriter()
        plain.string(inner)
        #expect(embedded.bytes == plain.bytes)
    }

    @Test func integersAtTheEdgesOf64Bits() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .integer(Int64.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .integer(Int64.min))
        #expect(try JSONParser.parse("9223372036854775808") == .double(9223372036854775808))
        #expect(try JSONParser.parse("-9223372036854775809") == .double(-9223372036854775809))
        #expect(try JSONParser.parse("-0") == .integer(0))
        #expect(try JSONParser.parse("18446744073709551616") == .double(18446744073709551616))
    }
}

/// A small seeded generator, so a failure names input that can be reproduced.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
