import Foundation
import HTTPTypes

/// Reads the parts of an HTTP/1 request head that the byte lane needs, straight from a connection's bytes, and only
/// what is unambiguous: a GET, HEAD or POST in origin form, HTTP/1.1 or HTTP/1.0, field lines of printable ASCII
/// and HTAB separated by CRLF. Anything else is left to NIO's HTTP/1 decoder, which answers or refuses it.
enum RequestHeadScanner {
    static let maximumHeadBytes = 8192
    static let maximumHeaderLines = 64
    static let maximumTargetBytes = 2048

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    /// A request line the lane reads.
    struct RequestLine {
        var method: HTTPRequest.Method
        var target: Range<Int>
        /// HTTP/1.0 (persistent only with `Connection: keep-alive`, `Host` optional, no interim answers).
        var isHTTP10: Bool
        /// Where the first field line starts.
        var fieldsStart: Int
    }

    /// The request line at the start of a complete head (`headLength` found its end), nil to decline.
    static func requestLine(_ bytes: UnsafeRawBufferPointer) -> RequestLine? {
        var index: Int
        let method: HTTPRequest.Method
        if has(bytes, "GET ", at: 0) {
            (method, index) = (.get, 4)
        } else if has(bytes, "HEAD ", at: 0) {
            (method, index) = (.head, 5)
        } else if has(bytes, "POST ", at: 0) {
            (method, index) = (.post, 5)
        } else {
            return nil
        }
        let targetStart = index
        while index < bytes.count, bytes[index] != UInt8(ascii: " ") {
            guard bytes[index] > 0x20, bytes[index] < 0x7F else { return nil }
            index += 1
        }
        guard index > targetStart, bytes[targetStart] == UInt8(ascii: "/"), index - targetStart <= maximumTargetBytes else { return nil }
        let isHTTP10: Bool
        if has(bytes, " HTTP/1.1\r\n", at: index) {
            isHTTP10 = false
        } else if has(bytes, " HTTP/1.0\r\n", at: index) {
            isHTTP10 = true
        } else {
            return nil
        }
        return RequestLine(method: method, target: targetStart..<index, isHTTP10: isHTTP10, fieldsStart: index + 11)
    }

    /// Whether bytes that do not hold a whole head yet can never become one the lane reads: a line ended by a bare
    /// LF, or a start that is no method the lane takes. Such a head goes to the decoder at once instead of waiting
    /// for a CRLFCRLF that will not come.
    static func cannotBecomeAHead(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let prefix = min(bytes.count, 5)
        let methods: [StaticString] = ["GET ", "HEAD ", "POST "]
        let startsWell = methods.contains { method in
            let count = min(prefix, method.utf8CodeUnitCount)
            return memcmp(bytes.baseAddress!, method.utf8Start, count) == 0
        }
        guard startsWell else { return true }
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == lf, previous != cr { return true }
            previous = byte
        }
        return false
    }

    /// Checks the field lines from `start` to the head's empty line and calls `field` with each name and value (its
    /// surrounding whitespace left out); false when a line is malformed, there are too many, or `field` says false.
    /// `name ":" OWS value OWS CRLF`, no obs-fold (a line starting with whitespace), printable ASCII and HTAB only.
    static func scanFields(
        _ bytes: UnsafeRawBufferPointer, from start: Int, headLength length: Int, field: (_ name: Range<Int>, _ value: Range<Int>) -> Bool
    ) -> Bool {
        var index = start
        var lines = 0
        let headersEnd = length - 2  // the empty line's CRLF
        while index < headersEnd {
            lines += 1
            guard lines <= maximumHeaderLines else { return false }
            let nameStart = index
            while index < headersEnd, isTokenByte(bytes[index]) { index += 1 }
            guard index > nameStart, index < headersEnd, bytes[index] == UInt8(ascii: ":") else { return false }
            let nameEnd = index
            index += 1
            while index < headersEnd, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
            let valueStart = index
            var valueEnd = index
            while index < headersEnd, bytes[index] != cr {
                let byte = bytes[index]
                guard (byte >= 0x20 && byte < 0x7F) || byte == 0x09 else { return false }
                index += 1
                if byte != 0x20, byte != 0x09 { valueEnd = index }
            }
            guard index + 1 < length, bytes[index] == cr, bytes[index + 1] == lf else { return false }
            index += 2
            guard field(nameStart..<nameEnd, valueStart..<valueEnd) else { return false }
        }
        return true
    }

    /// The length of the head (through its empty line), if it is all there.
    static func headLength(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var index = 3
        while index < bytes.count {
            // Step by the position of the last byte of "\r\n\r\n".
            let byte = bytes[index]
            if byte == lf {
                if bytes[index - 1] == cr, bytes[index - 2] == lf, bytes[index - 3] == cr { return index + 1 }
                index += 2
            } else if byte == cr {
                index += 1
            } else {
                index += 4
            }
        }
        return nil
    }

    /// The tokens of a `Connection` value the lane understands; nil for any other token (`Upgrade`, `TE`, …), which
    /// the lane leaves to the decoder. Tokens are case-insensitive; empty list elements are allowed (RFC 9110 §5.6.1).
    static func connectionOptions(_ value: UnsafeBufferPointer<UInt8>) -> (close: Bool, keepAlive: Bool)? {
        var options = (close: false, keepAlive: false)
        var start = value.startIndex
        while start <= value.endIndex {
            let end = value[start...].firstIndex(of: UInt8(ascii: ",")) ?? value.endIndex
            var first = start
            var last = end
            while first < last, value[first] == 0x20 || value[first] == 0x09 { first += 1 }
            while last > first, value[last - 1] == 0x20 || value[last - 1] == 0x09 { last -= 1 }
            let token = UnsafeBufferPointer(rebasing: value[first..<last])
            if token.isEmpty {
            } else if ASCII.equalsIgnoringCase(token, "close") {
                options.close = true
            } else if ASCII.equalsIgnoringCase(token, "keep-alive") {
                options.keepAlive = true
            } else {
                return nil
            }
            start = end + 1
        }
        return options
    }

    static func has(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString, at offset: Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        return memcmp(bytes.baseAddress! + offset, literal.utf8Start, count) == 0
    }

    /// RFC 9110 tchar.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// A Content-Length value: 1 to 9 digits.
    static func decimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard (1...9).contains(bytes.count) else { return nil }
        var number = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            number = number * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return number
    }
}
