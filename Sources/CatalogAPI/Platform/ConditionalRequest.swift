import HTTPTypes
import CatalogCore
import Foundation
import Hummingbird

/// RFC 9110 conditional requests and content negotiation, written out because Hummingbird's helper compares the
/// whole header to one tag (no lists, no `W/`, no `*`).
enum ConditionalRequest {
    /// An entity tag from a header.
    struct EntityTag: Equatable {
        var weak: Bool
        /// The opaque tag including its quotes.
        var opaque: String
    }

    /// A parsed If-None-Match or If-Match value.
    enum Condition: Equatable {
        case any
        case tags([EntityTag])
    }

    /// Parses every field line of `name` (lists, `W/`, `*`); nil when the header is absent. Malformed members are
    /// dropped, so they match nothing.
    static func condition(_ name: HTTPField.Name, in headers: HTTPFields) -> Condition? {
        let values = headers[values: name]
        guard !values.isEmpty else { return nil }
        var tags: [EntityTag] = []
        for value in values {
            let bytes = Array(value.utf8)
            var index = 0
            while index < bytes.count {
                while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") || bytes[index] == UInt8(ascii: ",") { index += 1 }
                guard index < bytes.count else { break }
                if bytes[index] == UInt8(ascii: "*") {
                    return .any
                }
                var weak = false
                if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "W"), bytes[index + 1] == UInt8(ascii: "/") {
                    weak = true
                    index += 2
                }
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    // Not an entity tag: skip to the next comma.
                    while index < bytes.count, bytes[index] != UInt8(ascii: ",") { index += 1 }
                    continue
                }
                let start = index
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") { index += 1 }
                guard index < bytes.count else { break }
                index += 1
                tags.append(EntityTag(weak: weak, opaque: String(decoding: bytes[start..<index], as: UTF8.self)))
            }
        }
        return .tags(tags)
    }

    /// If-None-Match (§13.1.2) uses weak comparison: the opaque tags match whatever their `W/` prefixes.
    static func noneMatchFails(_ condition: Condition, current eTag: String) -> Bool {
        switch condition {
        case .any: return true
        case .tags(let tags): return tags.contains { $0.opaque == eTag }
        }
    }

    /// If-Match (§13.1.1) uses strong comparison: weak tags never match.
    static func matchedRevisions(_ condition: Condition?) -> Set<Int>? {
        guard let condition else { return nil }
        switch condition {
        case .any: return nil
        case .tags(let tags):
            var revisions = Set<Int>()
            for tag in tags where !tag.weak {
                let inner = tag.opaque.dropFirst().dropLast()
                if inner.hasPrefix("r"), let revision = Int(inner.dropFirst()) { revisions.insert(revision) }
            }
            return revisions
        }
    }

    /// Whether the client prefers gzip (§12.5.3): q-values honoured, `gzip;q=0` and `*;q=0` respected.
    static func prefersGzip(_ headers: HTTPFields) -> Bool {
        var gzip: Double?
        var identity: Double?
        var wildcard: Double?
        for value in headers[values: .acceptEncoding] {
            for member in value.split(separator: ",") {
                let parts = member.split(separator: ";")
                guard let coding = parts.first?.trimmingCharacters(in: .whitespaces).lowercased(), !coding.isEmpty else { continue }
                var quality = 1.0
                for parameter in parts.dropFirst() {
                    let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    if pair.count == 2, pair[0].lowercased() == "q" { quality = Double(pair[1]).map { min(max($0, 0), 1) } ?? 0 }
                }
                switch coding {
                case "gzip", "x-gzip": gzip = max(gzip ?? 0, quality)
                case "identity": identity = quality
                case "*": wildcard = quality
                default: break
                }
            }
        }
        let gzipQuality = gzip ?? wildcard ?? 0
        let identityQuality = identity ?? 1
        return gzipQuality > 0 && gzipQuality >= identityQuality
    }
}

/// Serves a prepared representation with ETags, 304s, gzip, HEAD and CORS.
struct RepresentationResponder {
    let cacheControl: String

    /// The answer to a request with `method` and `headers` (the router and the fast lane both call this).
    func respond(
        method: HTTPRequest.Method, headers requestHeaders: HTTPFields, representation: PreparedRepresentation,
        lastModified: (header: String, date: Date)?, catalogVersion: Int64?
    ) -> PlainResponse {
        let gzip = ConditionalRequest.prefersGzip(requestHeaders)
        let eTag = gzip ? representation.gzipETag : representation.eTag
        var headers = HTTPFields()
        headers[.eTag] = eTag
        headers[.cacheControl] = cacheControl
        headers[.vary] = "Accept-Encoding"
        headers[.accessControlAllowOrigin] = "*"
        headers[.accessControlExposeHeaders] = "ETag, Last-Modified, Catalog-Version"
        if let catalogVersion { headers[.catalogVersion] = String(catalogVersion) }

        var notModified = false
        if let condition = ConditionalRequest.condition(.ifNoneMatch, in: requestHeaders) {
            notModified = ConditionalRequest.noneMatchFails(condition, current: eTag)
        } else if let lastModified, let since = requestHeaders[.ifModifiedSince].flatMap(HTTPDate.parse) {
            // Only without If-None-Match (§13.2.2); dates are whole seconds.
            notModified = lastModified.date.timeIntervalSince1970.rounded(.down) <= since.timeIntervalSince1970
        }
        if notModified {
            return PlainResponse(status: .notModified, headers: headers)
        }
        if let lastModified { headers[.lastModified] = lastModified.header }
        headers[.contentType] = "application/json"
        let body = gzip ? representation.gzip : representation.identity
        if gzip { headers[.contentEncoding] = "gzip" }
        if method == .head {
            headers[.contentLength] = String(body.readableBytes)
            return PlainResponse(status: .ok, headers: headers)
        }
        return PlainResponse(status: .ok, headers: headers, body: body)
    }
}
