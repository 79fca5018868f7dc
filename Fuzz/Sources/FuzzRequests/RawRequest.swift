/// An HTTP/1.1 request as bytes, split into the parts the mutators change: request line, header fields, body.
public struct RawRequest {
    public var method: [UInt8]
    public var target: [UInt8]
    public var version: [UInt8]
    public var headers: [(name: [UInt8], value: [UInt8])]
    public var body: [UInt8]

    /// Splits `bytes` at the first empty line; nil when there is none or the request line has no three parts.
    public init?(_ bytes: [UInt8]) {
        guard let headEnd = Bytes.find([0x0D, 0x0A, 0x0D, 0x0A], in: bytes, from: 0) else { return nil }
        var lines = Bytes.split(Array(bytes[..<headEnd]), on: [0x0D, 0x0A])
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        guard requestLine.count == 3 else { return nil }
        method = Array(requestLine[0])
        target = Array(requestLine[1])
        version = Array(requestLine[2])
        headers = lines.map { line in
            guard let colon = line.firstIndex(of: 0x3A) else { return (line, []) }
            var value = Array(line[(colon + 1)...])
            while value.first == 0x20 { value.removeFirst() }
            return (Array(line[..<colon]), value)
        }
        body = Array(bytes[(headEnd + 4)...])
    }

    /// The value of the first header named `name` (ASCII case-insensitive).
    public func header(_ name: String) -> [UInt8]? {
        let wanted = Array(name.lowercased().utf8)
        return headers.first(where: { Bytes.lowercased($0.name) == wanted })?.value
    }

    mutating func setHeader(_ name: String, _ value: [UInt8]) {
        let wanted = Array(name.lowercased().utf8)
        headers.removeAll(where: { Bytes.lowercased($0.name) == wanted })
        headers.append((Array(name.utf8), value))
    }

    /// The request as bytes; with `fixingLength` its Content-Length is the body's (added when missing, unless the
    /// request is chunked).
    public func serialized(fixingLength: Bool) -> [UInt8] {
        var request = self
        if fixingLength, request.header("transfer-encoding") == nil, !(request.body.isEmpty && request.header("content-length") == nil) {
            request.setHeader("Content-Length", Array(String(request.body.count).utf8))
        }
        var bytes = request.method + [0x20] + request.target + [0x20] + request.version + [0x0D, 0x0A]
        for (name, value) in request.headers { bytes += name + [0x3A, 0x20] + value + [0x0D, 0x0A] }
        return bytes + [0x0D, 0x0A] + request.body
    }
}

/// Byte-slice helpers the mutators share.
public enum Bytes {
    public static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        var index = max(0, start)
        while index <= bytes.count - needle.count {
            if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }

    public static func findAll(_ needle: [UInt8], in bytes: [UInt8]) -> [Int] {
        var found: [Int] = []
        var from = 0
        while let index = find(needle, in: bytes, from: from) {
            found.append(index)
            from = index + 1
        }
        return found
    }

    public static func split(_ bytes: [UInt8], on separator: [UInt8]) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        var start = 0
        while let index = find(separator, in: bytes, from: start) {
            pieces.append(Array(bytes[start..<index]))
            start = index + separator.count
        }
        pieces.append(Array(bytes[start...]))
        return pieces
    }

    public static func lowercased(_ bytes: [UInt8]) -> [UInt8] {
        bytes.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
    }

    public static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}
