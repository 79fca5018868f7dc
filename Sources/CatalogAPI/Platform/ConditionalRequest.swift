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
        var any = false
        scanTags(values) { member in
            switch member {
            case .any: any = true
            case .tag(let weak, let opaque): tags.append(EntityTag(weak: weak, opaque: String(decoding: opaque, as: UTF8.self)))
            }
            return !any
        }
        return any ? .any : .tags(tags)
    }

    /// Whether If-None-Match matches `eTag`, nil without the header: weak comparison (§13.1.2), the opaque tags
    /// match whatever their `W/` prefixes. One pass over the bytes, no tag copied (every catalog read asks).
    static func noneMatchFails(_ headers: HTTPFields, current eTag: String) -> Bool? {
        let values = headers[values: .ifNoneMatch]
        guard !values.isEmpty else { return nil }
        var eTag = eTag
        return eTag.withUTF8 { current in
            for value in values {
                var value = value
                if value.withUTF8({ noneMatchFails(fieldLine: $0, current: current) }) { return true }
            }
            return false
        }
    }

    /// Whether one If-None-Match field line matches `current` (an entity tag with its quotes).
    static func noneMatchFails(fieldLine bytes: UnsafeBufferPointer<UInt8>, current: UnsafeBufferPointer<UInt8>) -> Bool {
        var matched = false
        _ = scanTags(fieldLine: bytes) { member in
            switch member {
            case .any: matched = true
            case .tag(_, let opaque): matched = opaque.elementsEqual(current)
            }
            return !matched
        }
        return matched
    }

    enum TagListMember {
        case any
        /// The opaque tag's bytes, quotes included.
        case tag(weak: Bool, opaque: UnsafeBufferPointer<UInt8>)
    }

    /// Calls `visit` for each member of entity-tag lists (§8.8.3) until it returns false; malformed members are
    /// skipped up to the next comma, an unterminated tag ends its field line.
    static func scanTags(_ values: [String], _ visit: (TagListMember) -> Bool) {
        for value in values {
            var value = value
            guard value.withUTF8({ scanTags(fieldLine: $0, visit) }) else { return }
        }
    }

    /// `scanTags` over one field line; false when `visit` stopped it.
    static func scanTags(fieldLine bytes: UnsafeBufferPointer<UInt8>, _ visit: (TagListMember) -> Bool) -> Bool {
        var index = 0
        while index < bytes.count {
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") || bytes[index] == UInt8(ascii: ",") { index += 1 }
            guard index < bytes.count else { break }
            if bytes[index] == UInt8(ascii: "*") { return visit(.any) }
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
            if !visit(.tag(weak: weak, opaque: UnsafeBufferPointer(rebasing: bytes[start..<index]))) { return false }
        }
        return true
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
    ///
    /// Read byte by byte (every catalog request asks this): codings compared without case, q-values in thousandths
    /// (a malformed one counts as 0, one above 1 as 1), anything unparseable in a member skipped up to its comma.
    static func prefersGzip(_ headers: HTTPFields) -> Bool {
        var preference = CodingPreference()
        for value in headers[values: .acceptEncoding] {
            var value = value
            value.withUTF8 { preference.read(fieldLine: $0) }
        }
        return preference.prefersGzip
    }

    /// The q-values an Accept-Encoding header gives the codings we serve, field line by field line.
    struct CodingPreference {
        private var gzip: Int?
        private var identity: Int?
        private var wildcard: Int?

        var prefersGzip: Bool {
            let gzipQuality = gzip ?? wildcard ?? 0
            let identityQuality = identity ?? 1000
            return gzipQuality > 0 && gzipQuality >= identityQuality
        }

        mutating func read(fieldLine bytes: UnsafeBufferPointer<UInt8>) {
            var index = 0
            let count = bytes.count
            func skipSpaces() { while index < count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 } }
            func token() -> Range<Int> {
                let start = index
                while index < count, bytes[index] != 0x2C, bytes[index] != 0x3B, bytes[index] != 0x3D, bytes[index] != 0x20, bytes[index] != 0x09 {
                    index += 1
                }
                return start..<index
            }
            func equalsIgnoringCase(_ range: Range<Int>, _ literal: StaticString) -> Bool {
                ASCII.equalsIgnoringCase(UnsafeBufferPointer(rebasing: bytes[range]), literal)
            }
            while index < count {
                while index < count, bytes[index] == 0x2C || bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
                guard index < count else { break }
                let coding = token()
                var quality = 1000
                skipSpaces()
                while index < count, bytes[index] == 0x3B {
                    index += 1
                    skipSpaces()
                    let name = token()
                    skipSpaces()
                    guard index < count, bytes[index] == 0x3D else { continue }
                    index += 1
                    skipSpaces()
                    let parameter = token()
                    skipSpaces()
                    if equalsIgnoringCase(name, "q") { quality = ConditionalRequest.thousandths(UnsafeBufferPointer(rebasing: bytes[parameter])) }
                }
                // Junk after a member: skip to the next one.
                while index < count, bytes[index] != 0x2C { index += 1 }
                if equalsIgnoringCase(coding, "gzip") || equalsIgnoringCase(coding, "x-gzip") {
                    gzip = max(gzip ?? 0, quality)
                } else if equalsIgnoringCase(coding, "identity") {
                    identity = quality
                } else if equalsIgnoringCase(coding, "*") {
                    wildcard = quality
                }
            }
        }
    }

    /// A q-value in thousandths: digits with an optional fraction (more than three places are cut), at most 1000;
    /// 0 when it is not a number.
    static func thousandths(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var index = 0
        var whole = 0
        var digits = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            whole = min(whole * 10 + Int(bytes[index] - 0x30), 10)
            digits += 1
            index += 1
        }
        var fraction = 0
        var places = 0
        if index < bytes.count, bytes[index] == 0x2E {
            index += 1
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                if places < 3 { fraction = fraction * 10 + Int(bytes[index] - 0x30) }
                places += 1
                index += 1
            }
        }
        guard index == bytes.count, digits + places > 0 else { return 0 }
        for _ in min(places, 3)..<3 { fraction *= 10 }
        return min(whole * 1000 + fraction, 1000)
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
        // Appended, not assigned: every field is new, and assigning searches the fields each time (hot path).
        var headers = HTTPFields()
        headers.reserveCapacity(12)
        headers.append(HTTPField(name: .eTag, value: eTag))
        headers.append(HTTPField(name: .cacheControl, value: cacheControl))
        headers.append(HTTPField(name: .vary, value: "Accept-Encoding"))
        headers.append(HTTPField(name: .accessControlAllowOrigin, value: "*"))
        headers.append(HTTPField(name: .accessControlExposeHeaders, value: "ETag, Last-Modified, Catalog-Version"))
        if let catalogVersion { headers.append(HTTPField(name: .catalogVersion, value: String(catalogVersion))) }

        var notModified = false
        if let fails = ConditionalRequest.noneMatchFails(requestHeaders, current: eTag) {
            notModified = fails
        } else if let lastModified, let since = requestHeaders[.ifModifiedSince].flatMap(HTTPDate.parse) {
            // Only without If-None-Match (§13.2.2); dates are whole seconds.
            notModified = lastModified.date.timeIntervalSince1970.rounded(.down) <= since.timeIntervalSince1970
        }
        if notModified {
            return PlainResponse(status: .notModified, headers: headers)
        }
        if let lastModified { headers.append(HTTPField(name: .lastModified, value: lastModified.header)) }
        headers.append(HTTPField(name: .contentType, value: "application/json"))
        let body = gzip ? representation.gzip : representation.identity
        if gzip { headers.append(HTTPField(name: .contentEncoding, value: "gzip")) }
        if method == .head {
            headers.append(HTTPField(name: .contentLength, value: String(body.readableBytes)))
            return PlainResponse(status: .ok, headers: headers)
        }
        return PlainResponse(status: .ok, headers: headers, body: body)
    }
}
