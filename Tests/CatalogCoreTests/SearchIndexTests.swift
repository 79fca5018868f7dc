@testable import CatalogCore
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

    /// The ranking as documented, computed the slow way: every text of every published item against every word and
    /// emoji of the query. The index answers with its own walk (rarest word first, later words checked per
    /// document); on a generated catalog where common prefixes match hundreds of items, both must agree.
    static func reference(_ packs: [StoredPack], popular: [String]) -> (SearchQuery) -> [String] {
        struct Text { var words: [SearchText.Word]; var field: Int32; var locale: String? }
        struct Item { var id: String; var texts: [Text]; var emojis: [String]; var popularity: Int32 }
        var rank: [String: Int32] = [:]
        for (index, id) in popular.enumerated() where rank[id] == nil { rank[id] = Int32(index) }
        var items: [Item] = []
        for pack in packs where pack.status == .published {
            func text(_ text: String, _ field: Int32, _ locale: String?) -> Text { Text(words: SearchText.words(text), field: field, locale: locale) }
            var texts = pack.title.map { text($0.value, 20, $0.key) } + pack.description.map { text($0.value, 10, $0.key) }
            texts += pack.tags.map { text($0, 40, nil) }
            items.append(Item(id: pack.id, texts: texts, emojis: [], popularity: pack.stickers.map { rank[$0.id] ?? .max }.min() ?? .max))
            for sticker in pack.stickers {
                var texts = sticker.keywords.map { text($0, 40, nil) }
                for (tag, keywords) in sticker.localizedKeywords { texts += keywords.map { text($0, 40, tag) } }
                if let label = sticker.label { texts.append(text(label, 30, nil)) }
                items.append(Item(id: sticker.id, texts: texts, emojis: sticker.emojis.compactMap { $0.first.map(EmojiKey.key) }, popularity: rank[sticker.id] ?? .max))
            }
        }
        return { query in
            let neutral: Int32 = query.locale == nil ? 0 : 1
            func localeRank(_ tag: String?) -> Int32 {
                guard let tag = tag?.lowercased() else { return neutral }
                guard let wanted = query.locale else { return 0 }
                return tag == wanted || wanted.hasPrefix(tag + "-") || tag.hasPrefix(wanted + "-") ? 2 : 0
            }
            var matches: [(id: String, total: Int32, popularity: Int32, order: Int)] = []
            for (order, item) in items.enumerated() {
                var total: Int32 = 0
                var all = true
                for emoji in query.emojis {
                    guard item.emojis.contains(emoji) else { all = false; break }
                    total += 340 + neutral
                }
                for word in query.words where all {
                    var best: Int32 = 0
                    for text in item.texts {
                        for term in text.words {
                            let quality: Int32
                            if term.text == word.text {
                                quality = 300
                            } else if term.text.utf8.starts(with: word.text.utf8) {
                                quality = 200
                            } else if word.unspaced, term.text.unicodeScalars.contains(where: { SearchText.isUnspacedScript($0) }),
                                      term.text.utf8.count > word.text.utf8.count,
                                      (0...(term.text.utf8.count - word.text.utf8.count)).contains(where: { term.text.utf8.dropFirst($0).starts(with: word.text.utf8) }) {
                                quality = 100
                            } else {
                                continue
                            }
                            best = max(best, quality + text.field + localeRank(text.locale))
                        }
                    }
                    if best == 0 { all = false } else { total += best }
                }
                if all { matches.append((item.id, total, item.popularity, order)) }
            }
            matches.sort { ($1.total, $0.popularity, $0.order) < ($0.total, $1.popularity, $1.order) }
            return matches.map(\.id)
        }
    }

    /// A catalog of syllable words, as real packs' keywords repeat stems: "sal" starts hundreds of words here.
    static func generatedCatalog() -> (packs: [StoredPack], popular: [String]) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        let syllables = ["sal", "hap", "tem", "ban", "kit", "dog", "cat", "fun", "nap", "gri", "mor", "vin", "zu", "el"]
        let cyrillic = ["кот", "соба", "ка", "мир", "при"]
        let han = ["猫", "狗", "乐", "你", "好", "天"]
        let emoji = ["😀", "👋", "👋🏽", "❤️", "🐱", "👨‍👩‍👧", "🇯🇵", "1️⃣"]
        func word(_ parts: [String], _ count: Int) -> String { (0..<count).map { _ in parts[next(parts.count)] }.joined() }
        var packs: [StoredPack] = []
        var ids: [String] = []
        for p in 0..<40 {
            var stickers: [StoredSticker] = []
            for s in 0..<12 {
                let id = "g\(p)-\(s)"
                ids.append(id)
                let keywords = (0..<(2 + next(4))).map { _ in word(syllables, 1 + next(3)) }
                var localized: [String: [String]] = [:]
                if next(2) == 0 { localized["ru"] = [word(cyrillic, 1 + next(2))] }
                if next(2) == 0 { localized["zh-Hans"] = [word(han, 2 + next(2))] }
                // The same stems in two locales, so that the query's locale decides between otherwise equal matches.
                if next(3) == 0 { localized["en"] = [word(syllables, 1 + next(2))] }
                if next(3) == 0 { localized["fr"] = [word(syllables, 1 + next(2))] }
                let label = next(3) == 0 ? nil : word(syllables, 2) + " " + word(syllables, 1)
                stickers.append(sticker(id, [emoji[next(emoji.count)]], keywords: keywords, localized: localized, label: label))
            }
            let status: PackStatus = p % 10 == 9 ? .draft : .published
            packs.append(pack("gen-\(p)", status, title: ["en": word(syllables, 2), "ru": word(cyrillic, 2)], description: ["en": word(syllables, 3) + " " + word(syllables, 2)],
                              tags: [word(syllables, 1 + next(2))], stickers: stickers))
        }
        let popular = (0..<60).map { _ in ids[next(ids.count)] }
        return (packs, popular)
    }

    @Test func rankingMatchesTheDocumentedRulesComputedTheSlowWay() {
        let (packs, popular) = Self.generatedCatalog()
        let index = SearchIndex(packs: packs, popular: popular, baseURL: "https://cdn.example.com")
        let reference = Self.reference(packs, popular: popular)
        var state: UInt64 = 42
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        let pieces = ["sal", "hap", "tem", "ban", "kit", "dog", "cat", "fun", "nap", "gri", "mor", "vin", "zu", "el", "s", "k", "salhap", "kitdog",
                      "temban", "catfun", "napgri", "mor vin", "кот", "ка", "при", "猫", "狗乐", "好", "😀", "👋", "❤", "🐱", "🇯🇵", "1️⃣", "zebra"]
        var nonEmpty = 0
        for _ in 0..<600 {
            let text = (0..<(1 + next(3))).map { _ in pieces[next(pieces.count)] }.joined(separator: next(4) == 0 ? "" : " ")
            let locale = [nil, "en", "fr", "ru", "zh-Hans"][next(5)]
            let query = SearchQuery(text: text, locale: locale)
            let found = index.search(query).map { index.identity($0).id }
            #expect(found == reference(query), "\(text) [\(locale ?? "-")]")
            if !found.isEmpty { nonEmpty += 1 }
        }
        #expect(nonEmpty > 200)
    }

    /// A page keeps only the first `offset + limit` matches (a bounded heap) rather than ranking them all: it must be
    /// exactly that slice of the full ranking, with the full count, wherever it starts.
    @Test func pagesAreSlicesOfTheFullRanking() {
        let (packs, popular) = Self.generatedCatalog()
        let index = SearchIndex(packs: packs, popular: popular, baseURL: "https://cdn.example.com")
        for text in ["s", "sal", "k", "e", "kit", "猫", "ка", "👋", "zebra", "sal k", "el 😀"] {
            for locale in [nil, "en", "ru"] {
                let query = SearchQuery(text: text, locale: locale)
                let all = index.search(query)
                for (offset, limit) in [(0, 1), (0, 20), (1, 20), (7, 3), (19, 20), (40, 100), (all.count - 1, 20), (all.count, 20), (0, all.count + 5), (-3, 20), (5, .max), (3, 0)] {
                    let page = index.page(query, offset: offset, limit: limit)
                    #expect(page.items == Array(all.dropFirst(max(0, offset)).prefix(max(0, limit))), "\(text) [\(locale ?? "-")] \(offset)+\(limit)")
                    #expect(page.total == all.count)
                }
            }
        }
        // Common prefixes here match over a hundred items: their first pages took the heap, not the whole sort.
        let common = index.search(SearchQuery(text: "s", locale: nil)).count
        #expect(common > 100, "\(common) matches")
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
