@testable import CatalogAPI
import HTTPTypes
import Testing

@Suite("Accept-Encoding: when the catalog is served gzip")
struct ContentNegotiationTests {
    /// Expectations from RFC 9110 §12.5.3 as this service applies it: gzip when its quality is above 0 and at least
    /// identity's (identity is 1 unless listed); `*` stands for gzip when gzip is not listed.
    static let cases: [([String], Bool)] = [
        ([], false),
        (["gzip"], true),
        (["GZIP"], true),
        (["x-gzip"], true),
        (["gzip, deflate, br"], true),
        (["deflate, br"], false),
        (["gzip;q=0"], false),
        (["gzip; q=0.000"], false),
        (["gzip;q=0.5, identity"], false),
        (["gzip;q=1, identity;q=0.5"], true),
        (["gzip;q=0.5, identity;q=0.5"], true),
        (["gzip ; q = 0.9 , identity ; Q=0.8"], true),
        (["br;q=1.0, gzip;q=0.8"], false),
        (["*"], true),
        (["*;q=0"], false),
        (["*, identity;q=0"], true),
        (["gzip;q=0, *"], false),
        (["gzip;q=abc"], false),
        (["gzip;q=1.5"], true),
        (["gzip;q=0.0001"], false),
        (["gzip;q=.5, identity;q=0.4"], true),
        (["identity;q=0", "gzip"], true),
        (["gzipx"], false),
        (["gzip;level=9"], true),
    ]

    @Test(arguments: cases)
    func gzipIsChosenAsTheRFCSays(values: [String], expected: Bool) {
        #expect(ConditionalRequest.prefersGzip(HTTPFields(.acceptEncoding, values)) == expected, "\(values)")
    }
}

@Suite("If-None-Match: lists, weak tags and * against the current tag")
struct NoneMatchTests {
    static let cases: [([String], Bool)] = [
        (["\"a\""], true),
        (["W/\"a\""], true),
        (["\"b\", \"a\""], true),
        (["\"b\""], false),
        (["\"A\""], false),
        (["*"], true),
        (["\"b\", *"], true),
        (["junk, \"a\""], true),
        (["\"a"], false),
        (["\"b\"", "\"a\""], true),
        (["W/\"b\" ,  W/\"a\""], true),
        ([""], false),
        (["\"a\"\"b\""], true),
    ]

    /// The one-pass check and the parsed condition (what If-Match reads) agree, and both say what the RFC says.
    @Test(arguments: cases)
    func theCurrentTagMatches(values: [String], expected: Bool) throws {
        let headers = HTTPFields(.ifNoneMatch, values)
        #expect(ConditionalRequest.noneMatchFails(headers, current: "\"a\"") == expected, "\(values)")
        let parsed: Bool = switch try #require(ConditionalRequest.condition(.ifNoneMatch, in: headers)) {
        case .any: true
        case .tags(let tags): tags.contains { $0.opaque == "\"a\"" }
        }
        #expect(parsed == expected, "\(values)")
    }

    @Test func withoutTheHeaderThereIsNoCondition() {
        #expect(ConditionalRequest.noneMatchFails(HTTPFields(), current: "\"a\"") == nil)
        #expect(ConditionalRequest.condition(.ifNoneMatch, in: HTTPFields()) == nil)
    }
}

@Suite("Content-Type and Authorization read from the bytes")
struct HeaderReadingTests {
    static let contentTypes: [(String?, Bool)] = [
        ("application/json", true), ("Application/JSON; charset=utf-8", true), (" application/json ", true),
        ("application/problem+json", true), ("application/ld+JSON", true), (";application/json", true),
        ("text/plain", false), ("application/jsonx", false), ("application/json-seq", false), ("", false), (nil, false),
    ]

    @Test(arguments: contentTypes)
    func jsonBodiesAreRecognised(value: String?, expected: Bool) {
        #expect(JSONRequest.isJSON(HTTPFields(.contentType, value.map { [$0] } ?? [])) == expected, "\(value ?? "none")")
    }

    static let authorizations: [([String], String?)] = [
        (["Bearer abc"], "abc"), (["bearer   abc  "], "abc"), (["  BEARER abc"], "abc"), (["Bearer a b"], "a b"),
        (["Bearer"], nil), (["Bearer "], nil), (["Basic abc"], nil), (["BEARER\tabc"], nil), ([], nil),
        (["Bearer abc", "Bearer abc"], nil),
    ]

    @Test(arguments: authorizations)
    func bearerTokensAreRead(values: [String], expected: String?) {
        #expect(BearerAuthenticator.bearer(in: HTTPFields(.authorization, values)).map { String(decoding: $0, as: UTF8.self) } == expected, "\(values)")
    }
}

extension HTTPFields {
    /// One field line of `name` per value, in order.
    init(_ name: HTTPField.Name, _ values: [String]) {
        self.init(values.map { HTTPField(name: name, value: $0) })
    }
}
