import CatalogCore
import Testing

@Suite("Multipart bodies are read strictly, byte by byte, and never trap")
struct MultipartFormTests {
    static func body(_ text: String) -> [UInt8] { Array(text.utf8) }

    static let twoParts = body(
        "preamble to ignore\r\n--xyz\r\nContent-Disposition: form-data; name=\"manifest\"\r\n\r\n{\"id\":\"a\"}\r\n"
            + "--xyz \t\r\ncontent-disposition: form-data; name=\"file\"; filename=\"tray.png\"\r\nContent-Type:  image/png \r\n\r\n"
            + "\u{89}PNG\r\n--xy not a delimiter\r\n--xyz--\r\nepilogue"
    )

    @Test func readsPartsWithTheirHeadersAndBodies() throws {
        let parts = try MultipartForm.parts(of: Self.twoParts, boundary: "xyz")
        #expect(parts.count == 2)
        #expect(parts[0].header("content-disposition") == "form-data; name=\"manifest\"")
        #expect(parts[0].body == Self.body("{\"id\":\"a\"}"))
        #expect(parts[1].header("content-type") == "image/png")
        #expect(parts[1].body == Self.body("\u{89}PNG\r\n--xy not a delimiter"))
        #expect(MultipartForm.dispositionParameters(parts[1].header("content-disposition") ?? "") == ["name": "file", "filename": "tray.png"])
    }

    @Test func anEmptyPartBodyAndAFirstBoundaryWithoutPreambleAreFine() throws {
        let parts = try MultipartForm.parts(of: Self.body("--b\r\nA: 1\r\n\r\n\r\n--b--"), boundary: "b")
        #expect(parts == [MultipartPart(headers: [MultipartHeader(name: "A", value: "1")], body: [])])
    }

    /// Every byte value as the first byte of a header name: token characters are read, the rest refused by name —
    /// multipart-kit 4.7.1 trapped on each byte >= 0x80 here.
    @Test func everyByteOfAHeaderNameIsDecidedWithoutTrapping() throws {
        let tokens = Set(Array("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8))
        for byte in UInt8.min...UInt8.max where byte != 0x0D && byte != 0x3A {
            let body = Self.body("--b\r\n") + [byte] + Self.body("x: 1\r\n\r\nbody\r\n--b--")
            let result = Result { () throws(MultipartError) in try MultipartForm.parts(of: body, boundary: "b") }
            if tokens.contains(byte) {
                #expect(throws: Never.self, "byte \(byte)") { try result.get() }
            } else {
                #expect(throws: MultipartError.badHeaderName(part: 1, byte: byte), "byte \(byte)") { try result.get() }
            }
        }
    }

    @Test(arguments: [
        ("--b\r\nA: 1\r\n\r\nx\r\n--b", MultipartError.badDelimiterLine(part: 2)),
        ("--b\r\nA: 1\r\n\r\nx", MultipartError.noClosingBoundary(boundary: "b")),
        ("--b\r\nA: 1\r\n", MultipartError.unterminatedHeaders(part: 1)),
        ("--b\r\n: 1\r\n\r\nx\r\n--b--", MultipartError.badHeaderName(part: 1, byte: nil)),
        ("--b\r\nNoColon\r\n\r\nx\r\n--b--", MultipartError.badHeaderName(part: 1, byte: nil)),
        ("--b\r\nA B: 1\r\n\r\nx\r\n--b--", MultipartError.badHeaderName(part: 1, byte: 0x20)),
        ("--b\r\nA: 1\u{7F}\r\n\r\nx\r\n--b--", MultipartError.badHeaderValue(part: 1, name: "A")),
        ("--bee\r\nA: 1\r\n\r\nx\r\n--b--", MultipartError.badDelimiterLine(part: 1)),
        ("no boundary at all", MultipartError.noBoundaryLine(boundary: "b")),
        ("--b--", MultipartError.noParts),
    ])
    func malformedBodiesAreRefusedByName(text: String, error: MultipartError) {
        #expect(throws: error) { try MultipartForm.parts(of: Self.body(text), boundary: "b") }
    }

    @Test func invalidUTF8InAValueIsRefused() {
        let body = Self.body("--b\r\nA: ") + [0xC3, 0x28] + Self.body("\r\n\r\nx\r\n--b--")
        #expect(throws: MultipartError.badHeaderValue(part: 1, name: "A")) { try MultipartForm.parts(of: body, boundary: "b") }
    }

    @Test func limitsHoldAtTheirEdges() throws {
        func part(headers: Int, valueBytes: Int = 1) -> String {
            "--b\r\n" + (0..<headers).map { "H\($0): " + String(repeating: "v", count: valueBytes) + "\r\n" }.joined() + "\r\nx\r\n"
        }
        let most = MultipartForm.maximumHeadersPerPart
        #expect(try MultipartForm.parts(of: Self.body(part(headers: most) + "--b--"), boundary: "b").count == 1)
        #expect(throws: MultipartError.tooManyHeaders(part: 1)) { try MultipartForm.parts(of: Self.body(part(headers: most + 1) + "--b--"), boundary: "b") }

        // "H0: " is 4 bytes: a line of exactly maximumHeaderBytes, then one byte more.
        let longest = MultipartForm.maximumHeaderBytes - 4
        #expect(try MultipartForm.parts(of: Self.body(part(headers: 1, valueBytes: longest) + "--b--"), boundary: "b").count == 1)
        #expect(throws: MultipartError.headerTooLong(part: 1)) {
            try MultipartForm.parts(of: Self.body(part(headers: 1, valueBytes: longest + 1) + "--b--"), boundary: "b")
        }

        let parts = MultipartForm.maximumParts
        #expect(try MultipartForm.parts(of: Self.body(String(repeating: part(headers: 1), count: parts) + "--b--"), boundary: "b").count == parts)
        #expect(throws: MultipartError.tooManyParts) {
            try MultipartForm.parts(of: Self.body(String(repeating: part(headers: 1), count: parts + 1) + "--b--"), boundary: "b")
        }
    }

    /// Every prefix of a valid body, and the body with each byte replaced by a high byte, is either read or refused.
    @Test func truncatedAndCorruptedBodiesNeverTrap() {
        let body = Self.twoParts
        for length in 0...body.count {
            _ = Result { () throws(MultipartError) in try MultipartForm.parts(of: Array(body.prefix(length)), boundary: "xyz") }
        }
        for index in body.indices {
            for byte: UInt8 in [0x00, 0x0A, 0x0D, 0x2D, 0x80, 0xFF] {
                var corrupted = body
                corrupted[index] = byte
                _ = Result { () throws(MultipartError) in try MultipartForm.parts(of: corrupted, boundary: "xyz") }
            }
        }
    }

    @Test(arguments: [
        ("multipart/form-data; boundary=abc", "abc"),
        ("multipart/form-data; charset=utf-8; BOUNDARY=\"a b\"", "a b"),
        ("multipart/form-data", nil),
        ("multipart/form-data; boundary=", nil),
        ("multipart/form-data; boundary=\(String(repeating: "x", count: 71))", nil),
        ("multipart/form-data; boundary=a\u{01}b", nil),
    ] as [(String, String?)])
    func boundaryParameter(contentType: String, boundary: String?) {
        #expect(MultipartForm.boundary(ofContentType: contentType) == boundary)
    }
}
