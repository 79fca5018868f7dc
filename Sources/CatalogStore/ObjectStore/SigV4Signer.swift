import CatalogCore
import Crypto
import Foundation

/// AWS Signature Version 4 for S3-compatible object stores (AWS S3, MinIO, R2, GCS's XML API): the
/// `Authorization` header of a request, or the query of a presigned URL.
///
/// Written to the published specification and checked against AWS's own examples (Tests: `SigV4SignerTests`).
/// Paths are encoded once, as S3 wants (other AWS services normalise and encode twice; this signer is for S3).
public struct SigV4Signer: Sendable {
    public struct Credentials: Sendable, Equatable {
        public var accessKeyId: String
        public var secretAccessKey: String
        /// Temporary credentials' token, sent as `x-amz-security-token` and signed.
        public var sessionToken: String?

        public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyId = accessKeyId
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    /// What a signed request carries: the headers to add (`Authorization`, `x-amz-date`, and the token when there is
    /// one), and for tests the canonical request and string to sign.
    public struct Signature: Sendable {
        public var headers: [(name: String, value: String)]
        public var signature: String
        public var canonicalRequest: String
        public var stringToSign: String
    }

    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    public let credentials: Credentials
    public let region: String
    public let service: String

    public init(credentials: Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Signs a request. `path` is the object path as stored (`/bucket/key`), encoded here; `query` holds decoded
    /// names and values; `headers` must include `host` (and, for S3, `x-amz-content-sha256`); `payloadHash` is the
    /// hex SHA-256 of the body or `UNSIGNED-PAYLOAD`.
    public func sign(
        method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], payloadHash: String, date: Date
    ) -> Signature {
        let (day, stamp) = Self.timestamps(date)
        var all = headers.map { (name: $0.0.lowercased(), value: Self.trimmed($0.1)) }
        all.append((name: "x-amz-date", value: stamp))
        if let token = credentials.sessionToken { all.append((name: "x-amz-security-token", value: token)) }
        all.sort { $0.name < $1.name }
        let signedHeaders = all.map(\.name).joined(separator: ";")
        let canonicalRequest = [
            method, Self.encode(path, slash: false), Self.canonicalQuery(query),
            all.map { "\($0.name):\($0.value)\n" }.joined(), signedHeaders, payloadHash,
        ].joined(separator: "\n")
        let scope = scope(day: day)
        let (stringToSign, signature) = signature(of: canonicalRequest, stamp: stamp, day: day)
        var added: [(name: String, value: String)] = [
            ("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"),
            ("x-amz-date", stamp),
        ]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        return Signature(headers: added, signature: signature, canonicalRequest: canonicalRequest, stringToSign: stringToSign)
    }

    /// The query of a presigned URL for `method` on `path` at `host`, valid `expires` seconds from `date` (at most
    /// a week, as S3 allows). Only `host` is signed, and the payload is unsigned.
    public func presignedQuery(method: String, path: String, host: String, expires: Int, date: Date) -> String {
        let (day, stamp) = Self.timestamps(date)
        var query: [(String, String)] = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Credential", "\(credentials.accessKeyId)/\(scope(day: day))"),
            ("X-Amz-Date", stamp),
            ("X-Amz-Expires", String(min(max(expires, 1), 604_800))),
            ("X-Amz-SignedHeaders", "host"),
        ]
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        let canonicalRequest = [method, Self.encode(path, slash: false), Self.canonicalQuery(query), "host:\(host)\n", "host", Self.unsignedPayload]
            .joined(separator: "\n")
        return Self.canonicalQuery(query) + "&X-Amz-Signature=" + signature(of: canonicalRequest, stamp: stamp, day: day).signature
    }

    func scope(day: String) -> String { "\(day)/\(region)/\(service)/aws4_request" }

    /// The string to sign for `canonicalRequest`, and its signature with the day's signing key.
    func signature(of canonicalRequest: String, stamp: String, day: String) -> (stringToSign: String, signature: String) {
        let stringToSign = ["AWS4-HMAC-SHA256", stamp, scope(day: day), PackAssembler.sha256Hex(Array(canonicalRequest.utf8))].joined(separator: "\n")
        return (stringToSign, PackAssembler.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(day: day))))
    }

    func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// Names and values encoded, sorted by name then value, joined with `&`.
    static func canonicalQuery(_ items: [(String, String)]) -> String {
        items.map { (encode($0.0, slash: true), encode($0.1, slash: true)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters (and `/` unless `slash`), upper-case hex.
    public static func encode(_ text: String, slash: Bool) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where !slash:
                result.append("/")
            default:
                let digits = Array("0123456789ABCDEF".utf8)
                result.append("%")
                result.unicodeScalars.append(Unicode.Scalar(digits[Int(byte >> 4)]))
                result.unicodeScalars.append(Unicode.Scalar(digits[Int(byte & 0x0F)]))
            }
        }
        return result
    }

    /// A header value as signed: outer whitespace dropped, inner runs of spaces made one.
    static func trimmed(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ").trimmingCharacters(in: .whitespaces)
    }

    /// `yyyyMMdd` and `yyyyMMdd'T'HHmmss'Z'` in UTC: the catalog's ISO 8601 form without its separators.
    static func timestamps(_ date: Date) -> (day: String, stamp: String) {
        let stamp = ISO8601.format(date).filter { $0 != "-" && $0 != ":" }
        return (String(stamp.prefix(8)), stamp)
    }
}
