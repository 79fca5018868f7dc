/// libFuzzer's own byte mutator, for the parts no structure is known of.
@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// A small deterministic generator: libFuzzer hands the mutator a seed, and the same seed must give the same mutation.
public struct SplitMix: RandomNumberGenerator {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Structure-aware mutations of whole requests: the body as multipart, zip or JSON where its Content-Type says so,
/// the header fields and the request line as HTTP; libFuzzer's byte mutations for the rest. Content-Length is set
/// to the body's length afterwards (except now and then), so most mutants reach the route rather than the framing.
public enum RequestMutator {
    public static func mutate(_ input: [UInt8], maxSize: Int, random: inout SplitMix) -> [UInt8] {
        guard var request = RawRequest(input), Int.random(in: 0..<16, using: &random) != 0 else {
            return byteMutated(input, maxSize: maxSize)
        }
        var fixLength = Int.random(in: 0..<24, using: &random) != 0
        switch Int.random(in: 0..<10, using: &random) {
        case 0...4:
            let contentType = Bytes.text(Bytes.lowercased(request.header("content-type") ?? []))
            if contentType.hasPrefix("multipart/form-data"), let boundary = contentType.split(separator: "=").last.map(String.init) {
                request.body = MultipartMutations.mutate(request.body, boundary: Array(boundary.utf8), random: &random)
            } else if contentType.contains("zip") {
                request.body = ZipMutations.mutate(request.body, random: &random)
            } else if contentType.contains("json") || request.body.first == 0x7B || request.body.first == 0x5B {
                request.body = JSONMutations.mutate(request.body, random: &random)
            } else {
                request.body = byteMutated(request.body, maxSize: max(64, maxSize / 2))
            }
        case 5:
            request.body = byteMutated(request.body, maxSize: max(64, maxSize / 2))
        case 6:
            HeaderMutations.mutate(&request, random: &random)
        case 7:
            HeaderMutations.mutateRequestLine(&request, random: &random)
        case 8:
            fixLength = false
            return byteMutated(input, maxSize: maxSize)
        default:
            HeaderMutations.mutate(&request, random: &random)
            request.body = JSONMutations.mutate(request.body, random: &random)
        }
        let output = request.serialized(fixingLength: fixLength)
        return output.count <= maxSize ? output : Array(output.prefix(maxSize))
    }

    static func byteMutated(_ bytes: [UInt8], maxSize: Int) -> [UInt8] {
        var buffer = bytes + [UInt8](repeating: 0, count: max(0, maxSize - bytes.count))
        let size = buffer.withUnsafeMutableBufferPointer { LLVMFuzzerMutate($0.baseAddress!, bytes.count, $0.count) }
        return Array(buffer.prefix(size))
    }
}

/// Multipart bodies: the mutations that broke multipart parsers — high bytes and controls in part header names,
/// parts duplicated, dropped, swapped or cut short, the closing delimiter missing, garbage after a delimiter.
enum MultipartMutations {
    static func mutate(_ body: [UInt8], boundary: [UInt8], random: inout SplitMix) -> [UInt8] {
        let delimiter: [UInt8] = [0x0D, 0x0A, 0x2D, 0x2D] + boundary
        var pieces = Bytes.split(body, on: delimiter)
        guard pieces.count >= 2 else { return body + [0x0D, 0x0A] }
        let index = Int.random(in: 1..<pieces.count, using: &random)
        switch Int.random(in: 0..<9, using: &random) {
        case 0:  // a byte >= 0x80 (or a control) in a header name: multipart-kit 4.7.1 trapped on it
            let bad: [UInt8] = [0x80, 0xFF, 0xC3, 0x00, 0x7F, 0x20, 0x0B]
            let piece = pieces[index]
            if let lineStart = Bytes.find([0x0D, 0x0A], in: piece, from: 0), lineStart + 2 < piece.count {
                pieces[index].insert(bad.randomElement(using: &random)!, at: lineStart + 2)
            }
        case 1: pieces.insert(pieces[index], at: index)
        case 2: if pieces.count > 2 { pieces.remove(at: index) }
        case 3: pieces[index] = Array(pieces[index].prefix(Int.random(in: 0...pieces[index].count, using: &random)))
        case 4: return Array(body.prefix(Int.random(in: 0...body.count, using: &random)))
        case 5: pieces[index] = Array("XYZ".utf8) + pieces[index]
        case 6: if pieces.count > 2 { pieces.swapAt(index, Int.random(in: 1..<pieces.count, using: &random)) }
        case 7:  // another header line, sometimes very long
            let value = [UInt8](repeating: 0x61, count: [1, 2_040, 5_000].randomElement(using: &random)!)
            pieces[index] = Array("\r\nX-Extra: ".utf8) + value + pieces[index]
        default:
            pieces[index] = Array(pieces[index].replacing(Array("name=\"".utf8), with: Array("name=\"manifest".utf8)))
        }
        var output = pieces[0]
        for piece in pieces.dropFirst() { output += delimiter + piece }
        return output
    }
}

/// Zip archives: header fields of local entries, central-directory entries and the end record set to edge values,
/// compressed data corrupted, archives cut short, central entries duplicated.
enum ZipMutations {
    static func mutate(_ archive: [UInt8], random: inout SplitMix) -> [UInt8] {
        var bytes = archive
        let local = Bytes.findAll([0x50, 0x4B, 0x03, 0x04], in: bytes)
        let central = Bytes.findAll([0x50, 0x4B, 0x01, 0x02], in: bytes)
        let end = Bytes.findAll([0x50, 0x4B, 0x05, 0x06], in: bytes)
        let edges: [UInt32] = [0, 1, 0xFF, 0xFFFF, 0xFFFF_FFFF, 0x7FFF_FFFF, UInt32(bytes.count), UInt32.random(in: 0...UInt32.max, using: &random)]
        func overwrite(at offset: Int, width: Int) {
            let value = edges.randomElement(using: &random)!
            for byte in 0..<width where offset + byte < bytes.count { bytes[offset + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(byte))) }
        }
        switch Int.random(in: 0..<6, using: &random) {
        case 0 where !local.isEmpty:  // version, flags, method, time, date, crc, sizes, name and extra lengths
            let fields: [(Int, Int)] = [(4, 2), (6, 2), (8, 2), (14, 4), (18, 4), (22, 4), (26, 2), (28, 2)]
            let (offset, width) = fields.randomElement(using: &random)!
            overwrite(at: local.randomElement(using: &random)! + offset, width: width)
        case 1 where !central.isEmpty:  // flags, method, crc, sizes, name/extra/comment lengths, attributes, offset
            let fields: [(Int, Int)] = [(8, 2), (10, 2), (16, 4), (20, 4), (24, 4), (28, 2), (30, 2), (32, 2), (38, 4), (42, 4)]
            let (offset, width) = fields.randomElement(using: &random)!
            overwrite(at: central.randomElement(using: &random)! + offset, width: width)
        case 2 where !end.isEmpty:  // entry counts, directory size and offset, comment length
            let fields: [(Int, Int)] = [(8, 2), (10, 2), (12, 4), (16, 4), (20, 2)]
            let (offset, width) = fields.randomElement(using: &random)!
            overwrite(at: end.last! + offset, width: width)
        case 3 where !bytes.isEmpty:  // corrupt the data of an entry
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
        case 4 where !central.isEmpty:  // duplicate a central-directory entry
            // It ends where the next central entry or end record begins, or with the bytes. (Taking the last end
            // record anywhere trapped on a mutant whose only end record came before the entry: a range whose end
            // preceded its start, in this mutator — the crash of session 13's long FuzzService run.)
            let start = central.randomElement(using: &random)!
            let next = central.first(where: { $0 > start }) ?? end.first(where: { $0 > start }) ?? bytes.count
            bytes.insert(contentsOf: bytes[start..<next], at: next)
        default:
            bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
        }
        return bytes
    }
}

/// JSON documents: a string or number replaced by an edge case, a member duplicated, a value nested deep or
/// swapped for another type, invalid UTF-8 — each where a reader, a rule or a PostgreSQL encoding might slip.
enum JSONMutations {
    static let strings: [String] = [
        "", "x", String(repeating: "a", count: 300), "../../etc/passwd", "cat-wave", "manifest", "\\u0000", "\\ud800", "\\udc00\\ud800",
        "😀👋🏽", "\\\"", "<script>", "'; DROP TABLE stickers; --", "https://evil.example/x.png", "http://127.0.0.1/v1/assets/00",
        "{\\\"data\\\":\\\"{\\\\\\\"v\\\\\\\":1,\\\\\\\"type\\\\\\\":\\\\\\\"sticker\\\\\\\",\\\\\\\"stickerId\\\\\\\":\\\\\\\"x\\\\\\\"}\\\"}",
        "{\\\"sourcePicture\\\":{\\\"url\\\":\\\"https://cdn.example.com/v1/assets/aa.png\\\"}}", "published", "archived", "draft", "klipy", "none",
    ]
    static let numbers: [String] = ["0", "-1", "1", "110", "102", "115", "1e309", "-1e309", "99999999999999999999999", "9223372036854775808", "1.5", "-0", "1E2"]
    static let values: [String] = ["null", "true", "[]", "{}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "\"\"", "{\"a\":1,\"a\":2}"]

    static func mutate(_ document: [UInt8], random: inout SplitMix) -> [UInt8] {
        let tokens = scan(document)
        guard !tokens.isEmpty else { return Array(values.randomElement(using: &random)!.utf8) }
        let token = tokens.randomElement(using: &random)!
        var replacement: [UInt8]
        switch Int.random(in: 0..<7, using: &random) {
        case 0: replacement = Array(("\"" + strings.randomElement(using: &random)! + "\"").utf8)
        case 1: replacement = Array(numbers.randomElement(using: &random)!.utf8)
        case 2: replacement = Array(values.randomElement(using: &random)!.utf8)
        case 3: replacement = [0x22, 0xC3, 0x28, 0xFF, 0x22]  // invalid UTF-8 inside a string
        case 4:  // deep nesting around the value
            let depth = [8, 200, 5_000].randomElement(using: &random)!
            replacement = [UInt8](repeating: 0x5B, count: depth) + document[token] + [UInt8](repeating: 0x5D, count: depth)
        case 5:  // duplicate the member this token belongs to (as a name, repeat "name": value)
            replacement = Array(document[token]) + [0x3A, 0x31, 0x2C] + Array(document[token])
        default: return Array(document.prefix(Int.random(in: 0...document.count, using: &random)))
        }
        return Array(document[..<token.lowerBound]) + replacement + Array(document[token.upperBound...])
    }

    /// The ranges of string literals and numbers (a rough scan: enough to aim replacements).
    static func scan(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x22 {
                var end = index + 1
                while end < bytes.count, bytes[end] != 0x22 { end += bytes[end] == 0x5C ? 2 : 1 }
                end = min(end + 1, bytes.count)
                ranges.append(index..<end)
                index = end
            } else if byte == 0x2D || (0x30...0x39).contains(byte) {
                var end = index + 1
                while end < bytes.count, (0x30...0x39).contains(bytes[end]) || [0x2E, 0x65, 0x45, 0x2B, 0x2D].contains(bytes[end]) { end += 1 }
                ranges.append(index..<end)
                index = end
            } else {
                index += 1
            }
        }
        return ranges
    }
}

/// Header fields and the request line: the fields real clients and proxies add, framing fields that must be
/// refused, repeated and odd fields, bytes that do not belong in a head.
enum HeaderMutations {
    static let fields: [(String, String)] = [
        ("Connection", "keep-alive"), ("Connection", "Close"), ("Connection", "close, TE"), ("Expect", "100-continue"), ("Expect", "x"),
        ("Transfer-Encoding", "chunked"), ("Transfer-Encoding", "gzip, chunked"), ("Content-Length", "5"), ("Content-Length", "-1"),
        ("Content-Length", "1, 2"), ("Content-Length", "99999999999999999999"), ("Host", "other"), ("If-None-Match", "*"),
        ("If-None-Match", "W/\"x\", \"y\""), ("If-Match", "\"r1\""), ("If-Match", "*"), ("Accept-Encoding", "gzip;q=0, br"),
        ("Accept-Encoding", "*;q=0"), ("Authorization", "Bearer wrong-token-0123456789"), ("Authorization", "Basic Zm9vOmJhcg=="),
        ("Content-Type", "application/json"), ("Content-Type", "multipart/form-data; boundary="), ("Content-Type", "application/zip"),
        ("Content-Type", "application/merge-patch+json"), ("X-Request-Id", "a b c"), ("Range", "bytes=0-1"), ("Range", "bytes=5-1"),
        ("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"), ("If-Modified-Since", "garbage"), ("Via", "1.1 cdn"),
        ("X-Forwarded-For", "10.0.0.1"), ("Cookie", "catalog_admin=x"), ("Upgrade", "h2c"), ("sec-ch-ua", "\"Chromium\";v=\"130\""),
    ]

    static func mutate(_ request: inout RawRequest, random: inout SplitMix) {
        switch Int.random(in: 0..<6, using: &random) {
        case 0, 1:
            let (name, value) = fields.randomElement(using: &random)!
            request.headers.append((Array(name.utf8), Array(value.utf8)))
        case 2 where !request.headers.isEmpty:
            request.headers.remove(at: Int.random(in: 0..<request.headers.count, using: &random))
        case 3 where !request.headers.isEmpty:
            request.headers.append(request.headers.randomElement(using: &random)!)
        case 4 where !request.headers.isEmpty:
            let index = Int.random(in: 0..<request.headers.count, using: &random)
            let bad: [UInt8] = [0x00, 0x0A, 0x0D, 0x7F, 0x80, 0xFF, 0x20, 0x09]
            request.headers[index].value.append(bad.randomElement(using: &random)!)
        default:
            let index = Int.random(in: 0..<max(1, request.headers.count), using: &random)
            if index < request.headers.count { request.headers[index].name.insert(0xC3, at: 0) }
        }
    }

    static let methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT", "get", "BREW"]
    static let targets = [
        "/v1/catalog", "/v1/catalog/packs/blobs", "/v1/catalog/changes?since=0", "/v1/gif-config", "/v1/assets/00", "/v1/resolve",
        "/v1/openim/send-msg", "/v1/media", "/v1/admin/packs", "/v1/admin/packs/blobs", "/v1/admin/packs/blobs/stickers",
        "/v1/admin/packs/order", "/v1/admin/gif-config", "/v1/admin/media", "/v1/admin/audit", "/admin/preview", "/readyz", "/metrics",
        "/v1/admin/imports", "/v1/admin/packs/blobs/export?layout=whatsapp",
        "/v1/%2e%2e/admin", "/v1/catalog?x=%ZZ", "//v1/catalog", "*", "http://example.com/v1/catalog", "/v1/catalog/packs/" + String(repeating: "a", count: 2_000),
    ]

    static func mutateRequestLine(_ request: inout RawRequest, random: inout SplitMix) {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: request.method = Array(methods.randomElement(using: &random)!.utf8)
        case 1: request.target = Array(targets.randomElement(using: &random)!.utf8)
        case 2: request.version = Array(["HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "HTTP/1.1 ", "http/1.1"].randomElement(using: &random)!.utf8)
        default: request.target += Array(["?limit=-1", "?cursor=%00", "?since=99999999999999999999", "/", "%2F..", "?from=2026-13-40"].randomElement(using: &random)!.utf8)
        }
    }
}
