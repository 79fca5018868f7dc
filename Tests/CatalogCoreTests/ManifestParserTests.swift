import CatalogCore
import Testing

@Suite("Manifests are parsed strictly, naming every bad field")
struct ManifestParserTests {
    static let valid = #"{"id":"cats","title":{"en":"Cats","zh-Hans":"猫"},"description":{"en":"Cats!"},"publisher":"Acme","tray":"tray.png","status":"published","tags":["animals"],"stickers":[{"id":"cat-wave","file":"wave.webp","emojis":["👋"],"keywords":["hello"],"label":"a cat waving"}]}"#

    func parse(_ text: String, expectedId: String? = nil) throws(PackValidationError) -> PackManifest {
        try ManifestParser.parse(Array(text.utf8), expectedId: expectedId)
    }

    func issues(_ text: String) -> [FieldIssue] {
        do {
            _ = try parse(text)
            return []
        } catch {
            return error.issues
        }
    }

    @Test func parsesTheIssueExample() throws {
        let manifest = try parse(Self.valid)
        #expect(manifest.id == "cats")
        #expect(manifest.title == ["en": "Cats", "zh-Hans": "猫"])
        #expect(manifest.tray == .file("tray.png"))
        #expect(manifest.status == .published)
        #expect(manifest.stickers == [StickerManifest(id: "cat-wave", asset: .file("wave.webp"), emojis: ["👋"], keywords: ["hello"], label: "a cat waving")])
    }

    @Test func unknownFieldsAreNamedAndReadOnlyOnesIgnored() throws {
        let unknown = Self.valid.replacingOccurrences(of: #""publisher":"Acme""#, with: #""publisher":"Acme","colour":"red""#)
        #expect(issues(unknown) == [FieldIssue(field: "colour", message: "is not a known field")])
        let readOnly = Self.valid.replacingOccurrences(of: #""publisher":"Acme""#, with: #""publisher":"Acme","revision":7,"createdAt":"2026-01-01T00:00:00Z","trayUrl":"http://x/y""#)
        #expect(try parse(readOnly).id == "cats")
    }

    @Test(arguments: [
        (#"{"id":"Cats!"}"#, "id"),
        (#""title":{}"#, "title"),
        (#""title":{"english":"Cats"}"#, "title.english"),
        (#""emojis":["👋"]"#, "stickers[0].emojis"),
        (#""emojis":["a"]"#, "stickers[0].emojis[0]"),
        (#""status":"published""#, "status"),
    ])
    func badFieldsAreNamed(replacement: String, field: String) {
        var text = Self.valid
        switch field {
        case "id": text = text.replacingOccurrences(of: #""id":"cats""#, with: #""id":"Cats!""#)
        case "title": text = text.replacingOccurrences(of: #""title":{"en":"Cats","zh-Hans":"猫"}"#, with: replacement)
        case "title.english": text = text.replacingOccurrences(of: #""title":{"en":"Cats","zh-Hans":"猫"}"#, with: replacement)
        case "stickers[0].emojis": text = text.replacingOccurrences(of: replacement, with: #""emojis":[]"#)
        case "stickers[0].emojis[0]": text = text.replacingOccurrences(of: #""emojis":["👋"]"#, with: replacement)
        default: text = text.replacingOccurrences(of: replacement, with: #""status":"live""#)
        }
        #expect(issues(text).map(\.field).contains(field))
    }

    @Test func limitsAtTheirEdges() throws {
        let title64 = String(repeating: "猫", count: CatalogLimits.maximumTitleLength)
        #expect(try parse(Self.valid.replacingOccurrences(of: #""en":"Cats""#, with: "\"en\":\"\(title64)\"")).title["en"] == title64)
        #expect(issues(Self.valid.replacingOccurrences(of: #""en":"Cats""#, with: "\"en\":\"\(title64)x\"")).map(\.field) == ["title.en"])

        let eight = Array(repeating: "\"😀\"", count: CatalogLimits.emojisPerSticker.upperBound).joined(separator: ",")
        #expect(try parse(Self.valid.replacingOccurrences(of: #""emojis":["👋"]"#, with: "\"emojis\":[\(eight)]")).stickers[0].emojis.count == 8)
        #expect(issues(Self.valid.replacingOccurrences(of: #""emojis":["👋"]"#, with: "\"emojis\":[\(eight),\"😀\"]")).map(\.field) == ["stickers[0].emojis"])

        let keywords = (0..<CatalogLimits.maximumKeywords).map { "\"k\($0)\"" }.joined(separator: ",")
        #expect(try parse(Self.valid.replacingOccurrences(of: #""keywords":["hello"]"#, with: "\"keywords\":[\(keywords)]")).stickers[0].keywords.count == 20)
        #expect(issues(Self.valid.replacingOccurrences(of: #""keywords":["hello"]"#, with: "\"keywords\":[\(keywords),\"x\"]")).map(\.field) == ["stickers[0].keywords"])

        func pack(stickers count: Int) -> String {
            let stickers = (0..<count).map { #"{"id":"s\#($0)x","file":"f\#($0).png","emojis":["😀"]}"# }.joined(separator: ",")
            return #"{"id":"big","title":{"en":"Big"},"publisher":"p","tray":"t.png","stickers":["# + stickers + "]}"
        }
        #expect(try parse(pack(stickers: CatalogLimits.stickersPerPack.upperBound)).stickers.count == 120)
        #expect(issues(pack(stickers: CatalogLimits.stickersPerPack.upperBound + 1)).map(\.field).contains("stickers"))
        #expect(issues(pack(stickers: 0)).map(\.field).contains("stickers"))
    }

    @Test func controlCharactersAndBlankTextAreRefused() {
        #expect(issues(Self.valid.replacingOccurrences(of: #""publisher":"Acme""#, with: #""publisher":"Ac\u0007me""#)).map(\.field) == ["publisher"])
        #expect(issues(Self.valid.replacingOccurrences(of: #""publisher":"Acme""#, with: #""publisher":"   ""#)).map(\.field) == ["publisher"])
    }

    @Test func duplicateStickerIdsAreAConflict() {
        let text = Self.valid.replacingOccurrences(of: #""label":"a cat waving"}]"#, with: #""label":"a cat waving"},{"id":"cat-wave","file":"b.webp","emojis":["😀"]}]"#)
        #expect(throws: PackValidationError(.conflict, [FieldIssue(field: "stickers", message: "sticker id cat-wave appears more than once")])) { try parse(text) }
    }

    @Test func urlIdMustMatch() throws {
        #expect(try parse(Self.valid, expectedId: "cats").id == "cats")
        #expect(throws: PackValidationError(.invalid, [FieldIssue(field: "id", message: "is cats but the URL names dogs")])) {
            try parse(Self.valid, expectedId: "dogs")
        }
        // Without an id the URL's id is used.
        #expect(try parse(Self.valid.replacingOccurrences(of: #""id":"cats","#, with: ""), expectedId: "cats").id == "cats")
    }

    @Test func malformedJSONIsMalformed() {
        #expect { try parse("{\"id\":") } throws: { ($0 as? PackValidationError)?.kind == .malformed }
        #expect { try parse("[1,2]") } throws: { ($0 as? PackValidationError)?.kind == .malformed }
    }

    @Test func patchesMergeLocales() throws {
        let patch = try ManifestParser.parsePatch(Array(#"{"title":{"fr":"Chats","en":null},"status":"archived","revision":3}"#.utf8))
        #expect(patch.status == .archived)
        #expect(PackPatch.merge(["en": "Cats", "de": "Katzen"], patch.title) == ["fr": "Chats", "de": "Katzen"])
        #expect(throws: PackValidationError.self) { try ManifestParser.parsePatch(Array(#"{"colour":"red"}"#.utf8)) }
        #expect(throws: PackValidationError.self) { try ManifestParser.parsePatch(Array(#"{"status":"gone"}"#.utf8)) }
    }
}
