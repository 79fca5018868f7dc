import CatalogCore
import Foundation
import OpenIMContent
import Testing

@Suite("Search finds stickers and packs by word and emoji in every script, ranked as documented")
struct SearchIndexTests {
    static func asset(_ seed: Int) -> AssetDescriptor {
        AssetDescriptor(sha256: String(repeating: String(format: "%02x", seed), count: 32), mime: "image/webp", byteSize: 1000, width: 512, height: 512, frameCount: 1)
    }

    static func sticker(_ id: String, _ emojis: [String], keywords: [String] = [], localized: [String: [String]] = [:], label: String? = nil) -> StoredSticker {
        StoredSticker(id: id, asset: asset(id.utf8.count), emojis: emojis, keywords: keywords, localizedKeywords: localized, label: label)
    }

    static func pack(_ id: String, _ status: PackStatus = .published, title: [String: String], description: [String: String] = [:], tags: [String] = [],
                     stickers: [StoredSticker]) -> StoredPack {
        StoredPack(
            id: id, title: title, description: description, publisher: "Tests", tray: asset(1), status: status, position: 0, animated: false,
            tags: tags, revision: 1, createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0), stickers: stickers
        )
    }

    /// The fixed catalog the table below is worked out against by hand (see `SearchIndex` for the scoring: exact 300,
    /// prefix 200, substring 100; keyword/emoji/tag 40, label 30, title 20, description 10; query-locale text +2,
    /// text of no locale +1 when the query names a locale; summed over the query's words and emoji).
    static let packs = [
        pack("greetings", title: ["en": "Greetings", "fr": "Salutations", "zh-Hans": "问候"], description: ["en": "Say hello in every language"],
             tags: ["wave"], stickers: [
                sticker("wave-hand", ["👋"], keywords: ["hello", "hi"], localized: ["ru": ["привет"], "zh-Hans": ["你好"], "ja": ["こんにちは"]], label: "Waving hand"),
                sticker("cafe-cup", ["☕"], keywords: ["Café", "coffee"], label: "Coffee cup"),
                sticker("wave-dark", ["👋🏿"], keywords: ["wave"]),
                sticker("hola-es", ["🙋"], localized: ["es": ["hola"]]),
                sticker("hola-pt", ["🙋"], localized: ["pt": ["hola"]]),
             ]),
        pack("family", title: ["en": "Family", "ar": "عائلة"], description: ["en": "Families and flags"], stickers: [
            sticker("family-zwj", ["👨‍👩‍👧"], keywords: ["family"], localized: ["ar": ["عَائِلَة"]]),
            sticker("man", ["👨"], keywords: ["man"]),
            sticker("flag-jp", ["🇯🇵"], keywords: ["japan"], localized: ["ja": ["日本"]]),
            sticker("keycap-one", ["1️⃣"], keywords: ["one"]),
            sticker("heart-two", ["❤"], keywords: ["love"]),
            sticker("heart", ["❤️"], keywords: ["love"], localized: ["th": ["ความรัก"]]),
        ]),
        pack("drafty", .draft, title: ["en": "Hello drafts"], stickers: [sticker("hidden-hello", ["👋"], keywords: ["hello"])]),
        pack("moscow", title: ["ru": "Москва", "en": "Moscow"], stickers: [
            sticker("kremlin", ["🏰"], keywords: ["Кремль"], label: "Moscow Kremlin"),
        ]),
    ]

    static let index = SearchIndex(packs: packs, popular: ["man", "heart", "hidden-hello"], baseURL: "https://cdn.example.com")

    static func ids(_ text: String, locale: String? = nil) -> [String] {
        index.search(SearchQuery(text: text, locale: locale)).map { index.identity($0).id }
    }

    @Test(arguments: [
        // Latin with diacritics, both ways round, and case.
        ("cafe", nil, ["cafe-cup"]),
        ("CAFÉ", nil, ["cafe-cup"]),
        ("Café", nil, ["cafe-cup"]),
        // Two words: each matches, scores add (coffee: keyword 340, cup: label 330).
        ("coffee cup", nil, ["cafe-cup"]),
        // A tag (keyword class) on a pack ties with a sticker's keyword; the pack comes first in catalog order.
        ("wave", nil, ["greetings", "wave-dark"]),
        // Keyword exact 340 beats a pack description's exact 310; the draft pack's sticker never shows.
        ("hello", nil, ["wave-hand", "greetings"]),
        ("hel", nil, ["wave-hand", "greetings"]),
        // Cyrillic: exact, prefix, case-folded.
        ("привет", nil, ["wave-hand"]),
        ("ПРИВ", nil, ["wave-hand"]),
        ("кремль", nil, ["kremlin"]),
        // A pack title in Cyrillic; the label's prefix (230+1) beats an English title's prefix (220+0) for a ru query.
        ("москва", nil, ["moscow"]),
        ("mos", "ru", ["kremlin", "moscow"]),
        // Chinese and Japanese: prefix and substring.
        ("你", nil, ["wave-hand"]),
        ("好", nil, ["wave-hand"]),
        ("问候", nil, ["greetings"]),
        ("にち", nil, ["wave-hand"]),
        ("日本", nil, ["flag-jp"]),
        ("本", nil, ["flag-jp"]),
        // Thai by substring.
        ("รัก", nil, ["heart"]),
        // Arabic: harakat folded away on the indexed keyword; the sticker's keyword (340) beats the pack's title (320).
        ("عائلة", nil, ["family-zwj", "family"]),
        // Emoji: skin tones either way, ZWJ sequences whole, flags, keycaps, presentation selectors.
        ("👋🏽", nil, ["wave-hand", "wave-dark"]),
        ("👋", nil, ["wave-hand", "wave-dark"]),
        ("👨‍👩‍👧", nil, ["family-zwj"]),
        ("👨", nil, ["man"]),
        ("🇯🇵", nil, ["flag-jp"]),
        ("🇯", nil, []),
        ("1️⃣", nil, ["keycap-one"]),
        ("1\u{20E3}", nil, ["keycap-one"]),
        ("1", nil, []),
        // Recent use breaks ties: heart (popular #2) before heart-two, which comes first in the catalog.
        ("❤", nil, ["heart", "heart-two"]),
        ("❤️", nil, ["heart", "heart-two"]),
        ("love", nil, ["heart", "heart-two"]),
        // Words and emoji mixed: every one must match.
        ("hello 👋", nil, ["wave-hand"]),
        ("hello👋🏻", nil, ["wave-hand"]),
        ("wave 👋", nil, ["wave-dark"]),
        // The query's locale first where the same text exists in several.
        ("hola", nil, ["hola-es", "hola-pt"]),
        ("hola", "pt", ["hola-pt", "hola-es"]),
        ("hola", "es-MX", ["hola-es", "hola-pt"]),
        // Nothing, and nothing from drafts.
        ("zebra", nil, []),
        ("drafts", nil, []),
    ] as [(String, String?, [String])])
    func rankedResults(query: String, locale: String?, expected: [String]) {
        #expect(Self.ids(query, locale: locale) == expected, "\(query) [\(locale ?? "-")]")
    }

    /// Queries share their working arrays (a per-index pool): whatever one query leaves behind must not change
    /// another's answer — in turn, in another order, or from several tasks at once.
    @Test func queriesSharingWorkingArraysAnswerAsOnAFreshIndex() async {
        let queries = ["hello 👋", "wave", "coffee cup", "hola", "mos", "👋", "hel", "wave 👋", "zebra", "love", "hello zebra", "❤"]
        let fresh = queries.map { text in
            SearchIndex(packs: Self.packs, popular: ["man", "heart", "hidden-hello"], baseURL: "https://cdn.example.com").search(SearchQuery(text: text, locale: nil))
        }
        #expect(fresh.contains { !$0.isEmpty } && fresh.contains { $0.isEmpty })
        let shared = SearchIndex(packs: Self.packs, popular: ["man", "heart", "hidden-hello"], baseURL: "https://cdn.example.com")
        for order in [Array(queries.indices), queries.indices.reversed()] {
            for index in order { #expect(shared.search(SearchQuery(text: queries[index], locale: nil)) == fresh[index], "\(queries[index])") }
        }
        let disagreements = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for round in 0..<50 {
                        let index = (task * 7 + round) % queries.count
                        if shared.search(SearchQuery(text: queries[index], locale: nil)) != fresh[index] { wrong += 1 }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(disagreements == 0)
    }

    @Test func foldingMatchesUnicodeCaseAndAccentRules() {
        #expect(SearchText.fold("Straße") == "strasse")
        #expect(SearchText.fold("ﬁsh") == "fish")
        #expect(SearchText.fold("ÉCOLE") == "ecole")
        #expect(SearchText.fold("Ёлка") == "елка")
        #expect(SearchText.fold("ΣΟΦΟΣ") == SearchText.fold("σοφοσ"))
        #expect(SearchText.fold("ｶﾞ") == "ガ")
        #expect(SearchText.fold("がっこう") == "がっこう")
        #expect(SearchText.fold("한국어") == "한국어")
        #expect(SearchText.words("line友達, hi!").map(\.text) == ["line", "友達", "hi"])
        #expect(SearchText.words("line友達").map(\.unspaced) == [false, true])
    }

    @Test func emojiKeysDropSelectorsAndSkinTonesOnly() {
        #expect(EmojiKey.key("👋🏽") == "👋")
        #expect(EmojiKey.key("❤️") == "❤")
        #expect(EmojiKey.key("👨🏽‍💻") == "👨‍💻")
        #expect(EmojiKey.key("🇯🇵") == "🇯🇵")
        #expect(EmojiKey.key("1️⃣") == "1\u{20E3}")
        #expect(EmojiKey.isEmoji("🏳️‍🌈"))
        #expect(!EmojiKey.isEmoji("a"))
        #expect(!EmojiKey.isEmoji("1"))
        #expect(!EmojiKey.isEmoji("🏽") && !EmojiKey.isEmoji("\u{FE0F}"))
    }

    @Test func queriesKeepEachWordAndEmojiOnce() {
        let query = SearchQuery(text: "Hi hi 👋👋🏽 ÉCOLE", locale: "zh-Hans")
        #expect(query.words.map(\.text) == ["hi", "ecole"])
        #expect(query.emojis == ["👋"])
        #expect(query.normalized == "hi ecole 👋")
        #expect(query.locale == "zh-hans")
    }

    @Test func stickersForAnEmojiAreMostUsedFirst() {
        #expect(Self.index.stickers(forEmoji: "❤").map { Self.index.identity($0).id } == ["heart", "heart-two"])
        #expect(Self.index.stickers(forEmoji: "👋").map { Self.index.identity($0).id } == ["wave-hand", "wave-dark"])
        #expect(Self.index.stickers(forEmoji: "🦄").isEmpty)
    }

    @Test func theEmojiIndexMapsEveryKeyToItsStickersInRankOrder() throws {
        let json = try JSONParser.parse(Self.index.emojiIndexJSON())
        guard case .object(let emojis)? = json["emojis"] else { Issue.record("no emojis object"); return }
        func ids(_ value: JSONValue) -> [String] {
            guard case .array(let items) = value else { return [] }
            return items.compactMap { item -> String? in if case .string(let id) = item { id } else { nil } }
        }
        let map: [String: [String]] = Dictionary(uniqueKeysWithValues: emojis.map { ($0.key, ids($0.value)) })
        #expect(map["❤"] == ["heart", "heart-two"])
        #expect(map["👋"] == ["wave-hand", "wave-dark"])
        #expect(map["👨‍👩‍👧"] == ["family-zwj"])
        #expect(map["1\u{20E3}"] == ["keycap-one"])
        #expect(map.count == 9)
        // Keys in bytewise order, so every replica writes the same bytes.
        #expect(emojis.map(\.key) == emojis.map(\.key).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    @Test func resultItemsCarryTheCatalogsStickerJSONAndPackSummaries() throws {
        let sticker = try JSONParser.parse(Self.index.item(try #require(Self.index.search(SearchQuery(text: "привет", locale: nil)).first)))
        #expect(sticker["type"] == .string("sticker"))
        #expect(sticker["packId"] == .string("greetings"))
        #expect(sticker["sticker"]?["id"] == .string("wave-hand"))
        #expect(sticker["sticker"]?["keywords"] == .array(["hello", "hi", "こんにちは", "привет", "你好"].map(JSONValue.string)))
        #expect(sticker["sticker"]?["localizedKeywords"]?["zh-Hans"] == .array([.string("你好")]))
        let pack = try JSONParser.parse(Self.index.item(try #require(Self.index.search(SearchQuery(text: "москва", locale: nil)).first)))
        #expect(pack["type"] == .string("pack"))
        #expect(pack["pack"]?["id"] == .string("moscow"))
        #expect(pack["pack"]?["stickerCount"] == .integer(1))
        #expect(pack["pack"]?["stickers"] == nil)
    }
}
