/// Why a multipart/form-data body was refused.
public enum MultipartError: Error, Equatable, Sendable, CustomStringConvertible {
    case noBoundaryLine(boundary: String)
    case badDelimiterLine(part: Int)
    case unterminatedHeaders(part: Int)
    case badHeaderName(part: Int, byte: UInt8?)
    case badHeaderValue(part: Int, name: String)
    case tooManyHeaders(part: Int)
    case headerTooLong(part: Int)
    case tooManyParts
    case noClosingBoundary(boundary: String)
    case noParts

    public var description: String {
        switch self {
        case .noBoundaryLine(let boundary): return "the multipart body has no boundary line --\(boundary)"
        case .badDelimiterLine(let part):
            return "the boundary line before multipart part \(part) is followed by something other than a line end"
        case .unterminatedHeaders(let part): return "multipart part \(part)'s headers do not end with an empty line"
        case .badHeaderName(let part, let byte?):
            return "multipart part \(part) has a header name with the byte 0x\(String(byte, radix: 16, uppercase: true)), which is not a token character (RFC 9110 §5.1)"
        case .badHeaderName(let part, nil): return "multipart part \(part) has a header line without a name"
        case .badHeaderValue(let part, let name):
            return "multipart part \(part)'s header \(name) has control characters or is not UTF-8"
        case .tooManyHeaders(let part): return "multipart part \(part) has more than \(MultipartForm.maximumHeadersPerPart) headers"
        case .headerTooLong(let part): return "multipart part \(part) has a header line over \(MultipartForm.maximumHeaderBytes) bytes"
        case .tooManyParts: return "the multipart body has more than \(MultipartForm.maximumParts) parts"
        case .noClosingBoundary(let boundary): return "the multipart body ends before its closing boundary --\(boundary)--"
        case .noParts: return "the multipart body has no parts"
        }
    }
}

/// One header of a multipart part, its name as sent.
public struct MultipartHeader: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// One part of a multipart/form-data body.
public struct MultipartPart: Sendable, Equatable {
    public var headers: [MultipartHeader]
    public var body: [UInt8]

    public init(headers: [MultipartHeader], body: [UInt8]) {
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name` (compared without case).
    public func header(_ name: String) -> String? {
        headers.first(where: { $0.name.lowercased() == name })?.value
    }
}

/// A strict reader of multipart/form-data (RFC 7578 over RFC 2046's syntax), written for untrusted bytes: every
/// byte is checked before it is used, nothing is indexed by a byte's value, and every count is bounded.
///
/// It replaces multipart-kit 4.7.1, whose parser indexes a 128-entry table with any byte of a part's header name and
/// so traps (ending the process) on a name byte ≥ 0x80.
public enum MultipartForm {
    /// More parts than a pack of 120 stickers, a tray and a manifest can use.
    public static let maximumParts = 200
    public static let maximumHeadersPerPart = 16
    public static let maximumHeaderBytes = 2048

    /// The boundary parameter of a `multipart/form-data` Content-Type: 1–70 characters (RFC 2046 §5.1.1).
    public static func boundary(ofContentType contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { trimmed($0) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            let isPrintable = value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
            return (1...70).contains(value.utf8.count) && isPrintable ? value : nil
        }
        return nil
    }

    /// Parses `form-data; name="x"; filename="y"` into its parameters (names lower-cased).
    public static func dispositionParameters(_ value: String) -> [String: String] {
        var result: [String: String] = [:]
        var rest = Substring(value)
        guard let semicolon = rest.firstIndex(of: ";") else { return result }
        rest = rest[rest.index(after: semicolon)...]
        while !rest.isEmpty {
            rest = rest.drop(while: { $0 == " " || $0 == "\t" || $0 == ";" })
            guard let equals = rest.firstIndex(of: "=") else { break }
            let name = trimmed(rest[..<equals]).lowercased()
            rest = rest[rest.index(after: equals)...]
            var parameter = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped { parameter.append(character); escaped = false; continue }
                    if character == "\\" { escaped = true; continue }
                    if character == "\"" { break }
                    parameter.append(character)
                }
            } else {
                let end = rest.firstIndex(of: ";") ?? rest.endIndex
                parameter = trimmed(rest[..<end])
                rest = rest[end...]
            }
            result[name] = parameter
        }
        return result
    }

    /// The parts of `body`, in order. The preamble before the first boundary line and the epilogue after the
    /// closing one are ignored, as RFC 2046 says; anything else out of place is refused.
    public static func parts(of body: [UInt8], boundary: String) throws(MultipartError) -> [MultipartPart] {
        let dashBoundary: [UInt8] = Array("--\(boundary)".utf8)
        // A delimiter is CRLF + dash-boundary; the first one may also open the body.
        var position: Int
        if body.starts(with: dashBoundary) {
            position = dashBoundary.count
        } else if let found = find([0x0D, 0x0A] + dashBoundary, in: body, from: 0) {
            position = found + 2 + dashBoundary.count
        } else {
            throw .noBoundaryLine(boundary: boundary)
        }
        var parts: [MultipartPart] = []
        while true {
            let number = parts.count + 1
            if starts(body, at: position, with: [0x2D, 0x2D]) { break }  // "--": the closing delimiter
            guard parts.count < maximumParts else { throw .tooManyParts }
            // Transport padding, then the line end.
            while position < body.count, body[position] == 0x20 || body[position] == 0x09 { position += 1 }
            guard starts(body, at: position, with: [0x0D, 0x0A]) else { throw .badDelimiterLine(part: number) }
            position += 2
            let headers = try readHeaders(body, from: &position, part: number)
            guard let end = find([0x0D, 0x0A] + dashBoundary, in: body, from: position) else {
                throw .noClosingBoundary(boundary: boundary)
            }
            parts.append(MultipartPart(headers: headers, body: Array(body[position..<end])))
            position = end + 2 + dashBoundary.count
        }
        guard !parts.isEmpty else { throw .noParts }
        return parts
    }

    /// Reads header lines up to and including the empty line that ends them.
    static func readHeaders(_ body: [UInt8], from position: inout Int, part: Int) throws(MultipartError) -> [MultipartHeader] {
        var headers: [MultipartHeader] = []
        while true {
            guard let lineEnd = find([0x0D, 0x0A], in: body, from: position, within: maximumHeaderBytes + 2) else {
                if position + maximumHeaderBytes + 2 <= body.count { throw .headerTooLong(part: part) }
                throw .unterminatedHeaders(part: part)
            }
            if lineEnd == position {
                position += 2
                return headers
            }
            guard headers.count < maximumHeadersPerPart else { throw .tooManyHeaders(part: part) }
            let line = body[position..<lineEnd]
            position = lineEnd + 2
            guard let colon = line.firstIndex(of: 0x3A) else { throw .badHeaderName(part: part, byte: nil) }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty else { throw .badHeaderName(part: part, byte: nil) }
            if let bad = name.first(where: { !isTokenByte($0) }) { throw .badHeaderName(part: part, byte: bad) }
            let nameText = String(decoding: name, as: UTF8.self)
            var value = line[(colon + 1)...]
            while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
            while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
            // Field values: visible characters, spaces and tabs, and UTF-8 (file names are often not ASCII).
            guard !value.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }),
                  let valueText = String(validating: value, as: UTF8.self)
            else { throw .badHeaderValue(part: part, name: nameText) }
            headers.append(MultipartHeader(name: nameText, value: valueText))
        }
    }

    /// RFC 9110 §5.6.2 tchar, decided by comparisons rather than a table indexed by the byte.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }

    static func starts(_ bytes: [UInt8], at position: Int, with prefix: [UInt8]) -> Bool {
        guard position >= 0, position <= bytes.count - prefix.count else { return false }
        for index in prefix.indices where bytes[position + index] != prefix[index] { return false }
        return true
    }

    /// The first index at or after `start` where `needle` begins, looking at most `within` bytes ahead.
    static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int, within: Int = .max) -> Int? {
        guard let first = needle.first, start >= 0 else { return nil }
        let lastStart = bytes.count - needle.count
        let limit = within >= lastStart - start ? lastStart : start + within - needle.count
        var index = start
        while index <= limit {
            if bytes[index] == first, starts(bytes, at: index, with: needle) { return index }
            index += 1
        }
        return nil
    }

    static func trimmed(_ text: Substring) -> String {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isBlank($0) }), let last = text.lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(text[first...last])
    }
}
