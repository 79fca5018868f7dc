import CatalogCore
import Foundation
import OpenIMContent
import Testing

@Suite("GIF configuration: every field checked, the server key never written, GIF items checked against it")
struct GIFConfigurationTests {
    static let valid = #"""
    {"provider":"giphy","enabled":true,"apiBase":"https://api.giphy.com/v1","clientKey":"pub-key-123","rating":"pg","locale":"en","country":"GB","searchLimit":30,"renditions":["fixed_width","original","mp4"],"maxBytes":5000000,"maxWidth":800,"maxHeight":600,"allowedHosts":["media.giphy.com","*.giphy.com"],"featured":[{"term":"hello","label":{"en":"Hello","zh-Hans":"你好"}}],"serverApiKey":"secret-server-key"}
    """#

    static func parse(_ text: String) throws(PackValidationError) -> GIFConfigurationUpdate {
        try GIFConfigurationParser.parse(Array(text.utf8))
    }

    /// The fields named by a refused document.
    static func fields(_ text: String) -> [String] {
        do {
            _ = try parse(text)
            return []
        } catch {
            return error.issues.map(\.field)
        }
    }

    /// `valid` with one member replaced (or removed when `value` is nil).
    static func with(_ key: String, _ value: String?) -> String {
        guard case .object(var members) = try! JSONParser.parse(valid) else { fatalError("valid is an object") }
        members.removeAll { $0.key == key }
        if let value { members.append((key, try! JSONParser.parse(value))) }
        var writer = JSONWriter()
        writer.value(.object(members))
        return writer.string
    }

    @Test func parsesAFullDocument() throws {
        let update = try Self.parse(Self.valid)
        let config = update.configuration
        #expect(config.provider == .giphy)
        #expect(config.enabled)
        #expect(config.apiBase == "https://api.giphy.com/v1")
        #expect(config.clientKey == "pub-key-123")
        #expect(config.rating == .pg)
        #expect(config.contentFilter == "medium")
        #expect(config.country == "GB")
        #expect(config.searchLimit == 30)
        #expect(config.renditions == ["fixed_width", "original", "mp4"])
        #expect(config.maximumBytes == 5_000_000)
        #expect(config.maximumWidth == 800)
        #expect(config.maximumHeight == 600)
        #expect(config.allowedHosts == ["media.giphy.com", "*.giphy.com"])
        #expect(config.featured == [.init(term: "hello", label: ["en": "Hello", "zh-Hans": "你好"])])
        #expect(update.serverApiKey == .set("secret-server-key"))
    }

    @Test func defaultsFillWhatIsLeftOut() throws {
        let config = try Self.parse(#"{"provider":"none","enabled":false}"#).configuration
        #expect(config == .disabled)
        #expect(config.rating == .g)
        #expect(config.searchLimit == 24)
        #expect(config.maximumBytes == 8 * 1024 * 1024)
    }

    @Test(arguments: [
        ("provider", #""imgur""#), ("provider", "7"), ("enabled", #""yes""#), ("enabled", nil), ("apiBase", #""http://api.giphy.com/v1""#),
        ("apiBase", nil), ("apiBase", #""https://api.giphy.com/v1?key=1""#), ("clientKey", nil), ("clientKey", #""has space""#),
        ("clientKey", "12"), ("serverApiKey", "12"), ("serverApiKey", #""tab\tkey""#), ("rating", #""nc-17""#), ("locale", #""english!""#),
        ("country", #""gb""#), ("country", #""GBR""#), ("searchLimit", "0"), ("searchLimit", "51"), ("searchLimit", "2.5"),
        ("maxBytes", "0"), ("maxBytes", "99999999999"), ("maxWidth", "5000"), ("maxHeight", "-1"), ("renditions", #"["gif","gif"]"#),
        ("renditions", #"["fixed width"]"#), ("renditions", #""gif""#), ("allowedHosts", "[]"), ("allowedHosts", #"["https://media.giphy.com"]"#),
        ("allowedHosts", #"["media.giphy.com/path"]"#), ("allowedHosts", #"["a..b"]"#), ("featured", #"[{"term":"hi"}]"#),
        ("featured", #"[{"term":"","label":{"en":"x"}}]"#), ("featured", #"[{"term":"hi","label":{"en":"x"},"extra":1}]"#),
        ("featured", #"{"term":"hi"}"#), ("surprise", "1"),
    ] as [(String, String?)])
    func eachBadFieldIsNamed(field: String, value: String?) {
        let named = Self.fields(Self.with(field, value))
        #expect(named.contains { $0 == field || $0.hasPrefix("\(field)[") || $0.hasPrefix("\(field).") }, "\(field)=\(value ?? "absent") named \(named)")
    }

    @Test func enabledNeedsAProvider() {
        #expect(Self.fields(#"{"provider":"none","enabled":true}"#) == ["enabled"])
    }

    @Test func malformedBodiesAreMalformed() {
        for text in ["", "{", "[]", #"{"provider":"giphy","provider":"none"}"#, "\u{FEFF}{}"] {
            do {
                _ = try Self.parse(text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.kind == .malformed, "\(text)")
            }
        }
    }

    @Test func serverKeyCanBeKeptClearedOrSet() throws {
        #expect(try Self.parse(Self.with("serverApiKey", nil)).serverApiKey == .keep)
        #expect(try Self.parse(Self.with("serverApiKey", "null")).serverApiKey == .clear)
        #expect(try Self.parse(Self.with("serverApiKey", #""""#)).serverApiKey == .clear)
    }

    @Test func theDocumentsNeverCarryTheServerKeyAndPutBackUnchanged() throws {
        let update = try Self.parse(Self.valid)
        let stored = StoredGIFConfiguration(configuration: update.configuration, revision: 4, updatedAt: Date(timeIntervalSince1970: 1_764_000_000), serverApiKeySet: true)
        let publicText = String(decoding: stored.publicBytes, as: UTF8.self)
        let adminText = String(decoding: stored.adminBytes(catalogVersion: 9), as: UTF8.self)
        #expect(!publicText.contains("secret-server-key"))
        #expect(!publicText.contains("serverApiKey"))
        #expect(!adminText.contains("secret-server-key"))
        #expect(adminText.contains(#""serverApiKeySet":true"#))
        #expect(adminText.contains(#""catalogVersion":9"#))
        // What an admin GETs parses back to the same configuration and keeps the stored key.
        let again = try GIFConfigurationParser.parse(stored.adminBytes(catalogVersion: 9))
        #expect(again.configuration == update.configuration)
        #expect(again.serverApiKey == .keep)
        // The public document's fields, byte for byte (keys sorted).
        #expect(publicText == #"{"allowedHosts":["media.giphy.com","*.giphy.com"],"apiBase":"https://api.giphy.com/v1","clientKey":"pub-key-123","contentFilter":"medium","country":"GB","enabled":true,"featured":[{"label":{"en":"Hello","zh-Hans":"你好"},"term":"hello"}],"locale":"en","maxBytes":5000000,"maxHeight":600,"maxWidth":800,"provider":"giphy","rating":"pg","renditions":["fixed_width","original","mp4"],"revision":4,"searchLimit":30,"updatedAt":"2025-11-24T16:00:00Z"}"#)
    }

    // MARK: GIF items

    static let config = try! parse(valid).configuration

    static func item(_ overrides: [String: String] = [:], removing: [String] = []) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("kind", .string("gif")), ("provider", .string("giphy")), ("id", .string("xT9IgG50Fb7Mi0prBC")),
            ("url", .string("https://media.giphy.com/media/xT9IgG50Fb7Mi0prBC/giphy.gif")),
            ("mp4Url", .string("https://media2.giphy.com/media/xT9IgG50Fb7Mi0prBC/giphy.mp4")),
            ("previewUrl", .string("https://media.giphy.com/media/xT9IgG50Fb7Mi0prBC/200w.gif")),
            ("width", .integer(480)), ("height", .integer(270)), ("size", .integer(1_200_000)),
        ]
        members.removeAll { removing.contains($0.key) || overrides[$0.key] != nil }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) { members.append((key, try! JSONParser.parse(value))) }
        return .object(members)
    }

    static func itemFields(_ json: JSONValue, config: GIFConfiguration = config) -> [String] {
        switch GIFItem.parse(json, path: "items[0]", configuration: config) {
        case .success: return []
        case .failure(let error): return error.issues.map(\.field)
        }
    }

    @Test func aValidItemBecomesAPayload() throws {
        let payload = try GIFItem.parse(Self.item(), configuration: Self.config).get()
        #expect(payload == GIFPayload(
            provider: "giphy", providerId: "xT9IgG50Fb7Mi0prBC", url: "https://media.giphy.com/media/xT9IgG50Fb7Mi0prBC/giphy.gif",
            mp4Url: "https://media2.giphy.com/media/xT9IgG50Fb7Mi0prBC/giphy.mp4",
            previewUrl: "https://media.giphy.com/media/xT9IgG50Fb7Mi0prBC/200w.gif", width: 480, height: 270
        ))
    }

    @Test(arguments: [
        (["url": #""http://media.giphy.com/a.gif""#], "items[0].url"),
        (["url": #""https://evil.example.com/a.gif""#], "items[0].url"),
        (["url": #""https://giphy.com.evil.example/a.gif""#], "items[0].url"),
        (["url": #""https://user@media.giphy.com/a.gif""#], "items[0].url"),
        (["mp4Url": #""https://cdn.evil.example/a.mp4""#], "items[0].mp4Url"),
        (["previewUrl": #""javascript:alert(1)""#], "items[0].previewUrl"),
        (["provider": #""tenor""#], "items[0].provider"),
        (["id": #""../../etc""#], "items[0].id"),
        (["width": "801"], "items[0].width"),
        (["height": "0"], "items[0].height"),
        (["size": "5000001"], "items[0].size"),
        (["width": #""480""#], "items[0].width"),
        (["colour": #""red""#], "items[0].colour"),
    ] as [([String: String], String)])
    func badItemsAreNamed(overrides: [String: String], field: String) {
        #expect(Self.itemFields(Self.item(overrides)) == [field])
    }

    @Test func missingItemFieldsAreNamed() {
        #expect(Self.itemFields(Self.item(removing: ["url", "width"])) == ["items[0].url", "items[0].width"])
        #expect(Self.itemFields(.string("gif")) == ["items[0]"])
    }

    @Test func subdomainWildcardsMatchOnlySubdomains() {
        #expect(Self.config.allows(host: "media3.giphy.com"))
        #expect(Self.config.allows(host: "MEDIA.GIPHY.COM"))
        #expect(!Self.config.allows(host: "giphy.com"))
        #expect(!Self.config.allows(host: "evilgiphy.com"))
    }

    @Test func aDisabledProviderRefusesEveryGIF() {
        var disabled = Self.config
        disabled.enabled = false
        #expect(Self.itemFields(Self.item(), config: disabled) == ["items[0].provider"])
        #expect(Self.itemFields(Self.item(), config: .disabled) == ["items[0].provider"])
    }
}
