import CatalogCore
import Hummingbird
import NIOCore

/// Reading small JSON request bodies: the media type is checked first, and the size limit while streaming.
enum JSONRequest {
    /// The body of `request` when it is `application/json` (or `+json`), at most `limit` bytes.
    static func body(_ request: Request, limit: Int) async throws -> [UInt8] {
        guard isJSON(request.headers) else {
            throw Problem.unsupportedMediaType("Send the body as application/json.")
        }
        return try await UploadReader.collect(request.body, limit: limit)
    }

    /// Whether Content-Type says JSON (`application/json` or any `+json` type, parameters ignored).
    ///
    /// Read byte by byte (the gateway's and webhooks' hot path): the first non-empty `;`-separated part, without
    /// surrounding spaces and tabs, compared without case.
    static func isJSON(_ headers: HTTPFields) -> Bool {
        guard var value = headers[.contentType] else { return false }
        return value.withUTF8 { isJSON(fieldLine: $0) }
    }

    /// `isJSON` of one Content-Type value.
    static func isJSON(fieldLine bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var start = 0
        var end = 0
        repeat {
            start = end
            while start < bytes.count, bytes[start] == UInt8(ascii: ";") { start += 1 }
            end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: ";") { end += 1 }
        } while start < bytes.count && end == start
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        let mediaType = UnsafeBufferPointer(rebasing: bytes[start..<end])
        return ASCII.equalsIgnoringCase(mediaType, "application/json") || ASCII.hasSuffixIgnoringCase(mediaType, "+json")
    }

    /// A JSON response that is never cached.
    static func response(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var response = PlainResponse.json(bytes, headers: extra)
        response.status = status
        return response.response
    }
}

/// Byte comparisons for header values, folding only ASCII letters.
enum ASCII {
    @inline(__always)
    static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    /// Whether `bytes` are `literal` (lower case) but for the case of ASCII letters.
    static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        for index in 0..<bytes.count where lower(bytes[index]) != literal.utf8Start[index] { return false }
        return true
    }

    /// Whether `bytes` end with `literal` (lower case) but for the case of ASCII letters.
    static func hasSuffixIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        return equalsIgnoringCase(UnsafeBufferPointer(rebasing: bytes[(bytes.count - count)...]), literal)
    }
}
