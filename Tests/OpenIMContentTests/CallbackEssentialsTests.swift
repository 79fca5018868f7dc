import OpenIMContent
import Testing

/// `CallbackEssentials` reads webhook bodies without building them; it must accept exactly what
/// `CallbackRequest(bytes:)` accepts and keep the same values.
@Suite("Callback essentials: the webhook's fields read in place, accepting exactly what the full reader accepts")
struct CallbackEssentialsTests {
    /// Both readers' outcome: the kept fields, or that the body was refused.
    static func outcomes(_ bytes: [UInt8]) -> (essentials: CallbackEssentials?, full: CallbackEssentials?) {
        let essentials = try? CallbackEssentials(bytes: bytes)
        let full = (try? CallbackRequest(bytes: bytes)).map(CallbackEssentials.init)
        return (essentials, full)
    }

    static func expectSame(_ text: String, _ comment: String = "") {
        let (essentials, full) = Self.outcomes(Array(text.utf8))
        #expect(essentials == full, "\(comment) \(text.prefix(300).debugDescription)")
    }

    /// The fixture with members of every kind around the ones kept.
    static func richBody() throws -> String {
        let fixture = try fixture("webhook-before-group")
        return String(fixture.dropLast()) + #", "offlinePushInfo": {"title": "t\u00e9", "desc": "\ud83d\udc4b", "ex": "", "iOSBadgeCount": true, "n": [1, -2.5e3, null, {"a": []}]}, "extra": [[], {}, "x\\y\/z\n"]}"#
    }

    @Test func fixturesReadTheSame() throws {
        let fixture = try fixture("webhook-before-group")
        let essentials = try CallbackEssentials(bytes: Array(fixture.utf8))
        #expect(essentials.contentType == 110 && essentials.serverMsgID == "3314df86c67cdb1e6b776c9ee50f61ea" && essentials.sendTime == 1719800000123)
        let request = try CallbackRequest(bytes: Array(fixture.utf8))
        #expect(essentials == CallbackEssentials(request))
        // The content is kept as written and unescaped on demand.
        #expect(essentials.content == request.content && essentials.content.contains(#""stickerId\":\"cat-wave\""#))
        #expect(essentials.contentLiteral.first == UInt8(ascii: "\"") && essentials.contentLiteral.contains(UInt8(ascii: "\\")))
        Self.expectSame(try Self.richBody(), "rich body")
    }

    @Test func edgeCasesAreJudgedAlike() {
        let cases = [
            "{}", " {} ", "{} x", "[]", "\"x\"", "", "{", "{\"a\":1,}", "{\"a\" 1}", "nul",
            // Duplicates at the top, nested, and spelled with escapes.
            #"{"sendID":"a","sendID":"b"}"#, #"{"x":{"a":1,"a":2}}"#, #"{"sendID":"a","send\u0049D":"b"}"#, #"{"\u0078":1,"x":2}"#,
            #"{"x":[{"a":1},{"a":1}]}"#,
            // Types and ranges of the fields CallbackRequest reads; null as absent.
            #"{"sendID":5}"#, #"{"contentType":"110"}"#, #"{"contentType":2147483648}"#, #"{"contentType":-2147483648}"#, #"{"sendTime":1.5}"#,
            #"{"sendTime":9223372036854775807}"#, #"{"sendTime":9223372036854775808}"#, #"{"content":null,"contentType":null}"#, #"{"content":{}}"#,
            #"{"status":true}"#, #"{"senderNickname":["x"]}"#, #"{"ex":nul}"#, #"{"createTime":"1"}"#, #"{"serverMsgID":1}"#,
            // Strings: escapes, surrogates, controls, invalid UTF-8 in members nobody reads.
            #"{"content":"a\"b\\c\u00e9\ud83d\udc4b"}"#, #"{"other":"\ud83d"}"#, #"{"other":"\udc4b"}"#, #"{"other":"\x"}"#,
            "{\"other\":\"a\u{01}b\"}", "{\"other\":\"caf\u{E9}\"}", #"{"other":"\u12"}"#, #"{"other":"unterminated}"#,
            // Nesting at and past the limit.
            "{\"n\":" + String(repeating: "[", count: 30) + String(repeating: "]", count: 30) + "}",
            "{\"n\":" + String(repeating: "[", count: 31) + String(repeating: "]", count: 31) + "}",
            "{\"n\":" + String(repeating: "{\"a\":", count: 31) + "1" + String(repeating: "}", count: 31) + "}",
            // Numbers nobody reads.
            #"{"x":-0}"#, #"{"x":01}"#, #"{"x":1.}"#, #"{"x":1e}"#, #"{"x":1e999}"#, #"{"x":-}"#,
        ]
        for text in cases { Self.expectSame(text) }
        // Invalid UTF-8 bytes in a string nobody reads, and in a name.
        for bytes: [UInt8] in [Array(#"{"x":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8), Array(#"{""#.utf8) + [0xFF] + Array(#"":1}"#.utf8)] {
            let (essentials, full) = Self.outcomes(bytes)
            #expect(essentials == nil && full == nil)
        }
    }

    /// Random single- and multi-byte changes to a rich body: both readers accept the same ones, alike.
    @Test func mutatedBodiesAreJudgedAlike() throws {
        let body = Array(try Self.richBody().utf8)
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        // Bytes that matter to JSON, and some that do not.
        let alphabet: [UInt8] = Array(#"{}[]",:\/"0123456789-+.eEtrufalsn u"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xE2, 0xF0, 0xFF, 0x09, 0x0A]
        var accepted = 0
        for round in 0..<6000 {
            var mutated = body
            for _ in 0..<(1 + Int(next() % 3)) {
                let position = Int(next() % UInt64(mutated.count))
                let byte = alphabet[Int(next() % UInt64(alphabet.count))]
                switch next() % 3 {
                case 0: mutated[position] = byte
                case 1: mutated.insert(byte, at: position)
                default: mutated.remove(at: position)
                }
            }
            let (essentials, full) = Self.outcomes(mutated)
            if essentials != nil { accepted += 1 }
            #expect(essentials == full, "round \(round): \(String(decoding: mutated, as: UTF8.self).debugDescription)")
        }
        // The mutations must not all break the body, or the comparison says little about accepted ones.
        #expect(accepted > 500, "\(accepted) of 6000 mutated bodies were accepted")
    }
}
