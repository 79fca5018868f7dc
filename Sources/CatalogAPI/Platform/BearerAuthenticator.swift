import Foundation
import Hummingbird

/// Checks `Authorization: Bearer <token>` against one audience's token in constant time.
///
/// The comparison always walks the longer of the two byte strings, so its time does not reveal how much of a guess
/// was right. The gateway token on an admin route (and the reverse) is a 403, not a 401: the caller is known, but
/// not allowed there.
struct BearerAuthenticator: RouterMiddleware {
    typealias Context = AppRequestContext

    let audience: String
    let token: [UInt8]
    /// Tokens of other audiences, to answer 403 rather than 401.
    let otherTokens: [[UInt8]]

    init(audience: String, token: String, otherTokens: [String]) {
        self.audience = audience
        self.token = Array(token.utf8)
        self.otherTokens = otherTokens.map { Array($0.utf8) }
    }

    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
        let length = max(lhs.count, rhs.count)
        for index in 0..<length {
            let left = index < lhs.count ? lhs[index] : 0
            let right = index < rhs.count ? rhs[index] : 0
            difference |= left ^ right
        }
        return difference == 0
    }

    /// The bearer token of `request`, if it carries exactly one well-formed Authorization header.
    static func bearer(of request: Request) -> [UInt8]? {
        bearer(in: request.headers)
    }

    /// The token of the one `Authorization: Bearer <token>` field (the scheme without case, the token without
    /// surrounding spaces and tabs), read byte by byte: every gateway request asks.
    static func bearer(in headers: HTTPFields) -> [UInt8]? {
        let values = headers[values: .authorization]
        guard values.count == 1, var value = values.first else { return nil }
        return value.withUTF8 { bearer(fieldLine: $0) }
    }

    /// The token of one Authorization value, if it is `Bearer <token>`.
    static func bearer(fieldLine bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var index = 0
        while index < bytes.count, bytes[index] == 0x20 { index += 1 }
        let schemeStart = index
        while index < bytes.count, bytes[index] != 0x20 { index += 1 }
        // A scheme, a space, and something after it.
        guard index > schemeStart, index + 1 < bytes.count,
              ASCII.equalsIgnoringCase(UnsafeBufferPointer(rebasing: bytes[schemeStart..<index]), "bearer")
        else { return nil }
        var start = index + 1
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return Array(bytes[start..<end])
    }

    /// Whether `headers` carry this audience's token (the fast lane's check; any refusal is the router's).
    func admits(_ headers: HTTPFields) -> Bool {
        Self.bearer(in: headers).map { Self.constantTimeEquals($0, token) } ?? false
    }

    /// The same for the one Authorization value a raw route read.
    func admits(fieldLine: UnsafeBufferPointer<UInt8>) -> Bool {
        Self.bearer(fieldLine: fieldLine).map { Self.constantTimeEquals($0, token) } ?? false
    }

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard let presented = Self.bearer(of: request) else {
            throw Problem.unauthorized("Send Authorization: Bearer <\(audience) token>.")
        }
        if Self.constantTimeEquals(presented, token) { return try await next(request, context) }
        if otherTokens.contains(where: { Self.constantTimeEquals(presented, $0) }) {
            throw Problem.forbidden("This token is not valid for \(audience) routes.")
        }
        throw Problem.unauthorized("The bearer token is not valid for \(audience) routes.")
    }
}
