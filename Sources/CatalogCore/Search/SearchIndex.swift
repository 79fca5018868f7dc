import OpenIMContent
import Synchronization

/// The published catalog's stickers and packs, indexed for search and emoji suggestions at one version.
///
/// Built with each snapshot and never changed: a sorted dictionary of folded words (exact and prefix matches by
/// binary search), one- and two-character grams of the words in scripts written without spaces (substring
/// matches), and emoji keys. Every item's result JSON is rendered once here.
public final class SearchIndex: Sendable {
    /// What matched, best first within each group: exact > prefix > substring, then keyword and emoji > label >
    /// title > description, then text in the query's locale > text of no locale > text of another locale.
    enum Quality: Int32 { case substring = 1, prefix = 2, exact = 3 }
    enum Field: UInt8 { case description = 1, title = 2, label = 3, keyword = 4 }

    struct Posting: Sendable {
        var document: Int32
        var field: Field
        /// Index into `locales`; -1 for a text of no locale.
        var locale: Int32
    }

    struct Document: Sendable {
        var id: String
        /// The sticker's pack (the pack itself for a pack).
        var packId: String
        var isPack: Bool
        /// Rank in the last 7 days' usage (a pack: its best sticker's); `Int32.max` when unused.
        var popularity: Int32
        /// The item's catalog JSON: the sticker as the catalog writes it (the very bytes, shared), or the pack
        /// without its stickers. `writeItem` wraps it into a result item.
        var json: [UInt8]
    }

    /// Packs in display order, each followed by its stickers: a document's index is its place in the catalog.
    let documents: [Document]
    /// Distinct folded words as UTF-8, sorted bytewise, and each one's postings.
    let terms: [[UInt8]]
    let postings: [[Posting]]
    /// Postings of all terms before each term (one more entry than `terms`): the postings of a prefix's terms — a
    /// run of `terms` — counted without walking them.
    let postingsBefore: [Int]
    /// The same postings by document (a forward index): document `d`'s are `entries[entryStart[d]..<entryStart[d + 1]]`.
    /// A query's later words check the few documents still in the running here, rather than walk every posting of
    /// a common prefix.
    let entries: [Entry]
    let entryStart: [Int32]

    /// A posting seen from its document: the term, where it stands and in which locale.
    struct Entry: Sendable {
        var term: Int32
        var field: Field
        var locale: Int32
    }
    /// Grams (one or two scalars) of words in scripts without spaces → indexes into `terms`.
    let grams: [String: [Int32]]
    /// Emoji key → stickers carrying it, most used first, then by where the emoji stands in the sticker's list, then
    /// catalog order.
    let emojiStickers: [String: [Int32]]
    /// Locale tags of indexed texts, lowercased.
    let locales: [String]
    /// Per-query working arrays (a score and a round per document), reused: allocating and zeroing them per query
    /// was a twentieth of a search's CPU at 30,000 stickers. A query takes a set, leaves every entry it touched at
    /// zero again, and puts it back.
    private let scratch = Mutex<[Scratch]>([])

    struct Scratch {
        var total: [Int32]
        var matched: [UInt8]
        var best: [Int32]

        init(count: Int) {
            total = Array(repeating: 0, count: count)
            matched = Array(repeating: 0, count: count)
            best = Array(repeating: 0, count: count)
        }
    }

    /// Indexes the published packs of `packs` (display order); `popular` ranks sticker ids by recent use.
    /// `renderedStickers` are the catalog's sticker JSON by id, when the caller has written them already.
    public init(packs: [StoredPack], popular: [String], baseURL: String, renderedStickers: [String: [UInt8]] = [:]) {
        var rank: [String: Int32] = [:]
        for (index, id) in popular.enumerated() where rank[id] == nil { rank[id] = Int32(index) }
        func popularity(_ id: String) -> Int32 { rank.isEmpty ? .max : rank[id] ?? .max }
        var documents: [Document] = []
        // Terms get ids as first seen; postings are appended per id, and sorted into byte order at the end.
        var termIds: [String: Int32] = [:]
        var termTexts: [String] = []
        var termPostings: [[Posting]] = []
        var localeIndex: [String: Int32] = [:]
        var tagIndex: [String: Int32] = [:]
        var locales: [String] = []
        var emojiEntries: [String: [(document: Int32, position: Int)]] = [:]

        func locale(_ tag: String) -> Int32 {
            // Tags as written first: the same few recur on every sticker.
            if let index = tagIndex[tag] { return index }
            let key = tag.lowercased()
            let index: Int32
            if let known = localeIndex[key] {
                index = known
            } else {
                index = Int32(locales.count)
                locales.append(key)
                localeIndex[key] = index
            }
            tagIndex[tag] = index
            return index
        }
        // Catalogs repeat their words (keywords, tags, titles in a series of packs): each text is folded once, to
        // the ids of its words.
        var folded: [String: [Int32]] = [:]
        func add(_ text: String, document: Int32, field: Field, locale: Int32) {
            let ids: [Int32]
            if let known = folded[text] {
                ids = known
            } else {
                ids = SearchText.words(text).map { word in
                    if let id = termIds[word.text] { return id }
                    let id = Int32(termTexts.count)
                    termIds[word.text] = id
                    termTexts.append(word.text)
                    termPostings.append([])
                    return id
                }
                folded[text] = ids
            }
            for id in ids {
                let index = Int(id)
                if let last = termPostings[index].last, last.document == document, last.field == field, last.locale == locale { continue }
                termPostings[index].append(Posting(document: document, field: field, locale: locale))
            }
        }

        for pack in packs where pack.status == .published {
            let packDocument = Int32(documents.count)
            var best = Int32.max
            for sticker in pack.stickers { best = min(best, popularity(sticker.id)) }
            var packWriter = JSONWriter(capacity: 512)
            CatalogSnapshot.write(pack: pack, baseURL: baseURL, stickers: false, to: &packWriter)
            documents.append(Document(id: pack.id, packId: pack.id, isPack: true, popularity: best, json: packWriter.bytes))
            for (tag, text) in pack.title { add(text, document: packDocument, field: .title, locale: locale(tag)) }
            for (tag, text) in pack.description { add(text, document: packDocument, field: .description, locale: locale(tag)) }
            for tag in pack.tags { add(tag, document: packDocument, field: .keyword, locale: -1) }

            for sticker in pack.stickers {
                let document = Int32(documents.count)
                let json: [UInt8]
                if let rendered = renderedStickers[sticker.id] {
                    json = rendered
                } else {
                    var writer = JSONWriter(capacity: 384)
                    CatalogSnapshot.write(sticker: sticker, baseURL: baseURL, storageFacts: false, to: &writer)
                    json = writer.bytes
                }
                documents.append(Document(id: sticker.id, packId: pack.id, isPack: false, popularity: popularity(sticker.id), json: json))
                for keyword in sticker.keywords { add(keyword, document: document, field: .keyword, locale: -1) }
                for (tag, keywords) in sticker.localizedKeywords {
                    let index = locale(tag)
                    for keyword in keywords { add(keyword, document: document, field: .keyword, locale: index) }
                }
                if let label = sticker.label { add(label, document: document, field: .label, locale: -1) }
                for (position, emoji) in sticker.emojis.enumerated() {
                    guard let character = emoji.first else { continue }
                    let key = EmojiKey.key(character)
                    // A sticker's entries are appended together: a repeat can only be the last one.
                    Self.appendOnce(&emojiEntries[key, default: []], (document, position))
                }
            }
        }

        let termBytes = termTexts.map { Array($0.utf8) }
        let order = termBytes.indices.sorted { Self.precedes(termBytes[$0], termBytes[$1]) }
        var grams: [String: [Int32]] = [:]
        for (index, id) in order.enumerated() {
            let text = termTexts[id]
            guard text.unicodeScalars.contains(where: SearchText.isUnspacedScript) else { continue }
            var seen = Set<String>()
            for gram in Self.grams(of: text) where seen.insert(gram).inserted { grams[gram, default: []].append(Int32(index)) }
        }
        let finished = documents
        self.documents = finished
        terms = order.map { termBytes[$0] }
        let sortedPostings = order.map { termPostings[$0] }
        postings = sortedPostings
        var before = [0]
        before.reserveCapacity(sortedPostings.count + 1)
        for list in sortedPostings { before.append(before[before.count - 1] + list.count) }
        postingsBefore = before
        // The forward index by counting: each document's share of the postings, then each posting in its place.
        var start = [Int32](repeating: 0, count: documents.count + 1)
        for list in sortedPostings { for posting in list { start[Int(posting.document) + 1] += 1 } }
        for index in 0..<documents.count { start[index + 1] += start[index] }
        var next = start
        var forward = [Entry](repeating: Entry(term: 0, field: .keyword, locale: 0), count: before[before.count - 1])
        for (term, list) in sortedPostings.enumerated() {
            for posting in list {
                let slot = Int(next[Int(posting.document)])
                forward[slot] = Entry(term: Int32(term), field: posting.field, locale: posting.locale)
                next[Int(posting.document)] += 1
            }
        }
        entries = forward
        entryStart = start
        self.grams = grams
        emojiStickers = emojiEntries.mapValues { entries in
            entries.sorted { left, right in
                let a = finished[Int(left.document)], b = finished[Int(right.document)]
                if a.popularity != b.popularity { return a.popularity < b.popularity }
                if left.position != right.position { return left.position < right.position }
                return left.document < right.document
            }.map(\.document)
        }
        self.locales = locales
    }

    /// Bytewise order, as `lowerBound` searches it.
    static func precedes(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        left.withUnsafeBufferPointer { a in
            right.withUnsafeBufferPointer { b in
                for index in 0..<min(a.count, b.count) where a[index] != b[index] { return a[index] < b[index] }
                return a.count < b.count
            }
        }
    }

    static func appendOnce(_ entries: inout [(document: Int32, position: Int)], _ entry: (document: Int32, position: Int)) {
        if entries.last?.document != entry.document { entries.append(entry) }
    }

    /// Every one-scalar gram and every two-scalar gram of `text`.
    static func grams(of text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var result = scalars.map { String($0) }
        if scalars.count >= 2 {
            for index in 0..<(scalars.count - 1) {
                var pair = String.UnicodeScalarView()
                pair.append(scalars[index])
                pair.append(scalars[index + 1])
                result.append(String(pair))
            }
        }
        return result
    }

    /// The number of stickers and packs indexed.
    public var documentCount: Int { documents.count }

    // MARK: Queries

    /// All matches of `query`, best first: items matching every word and emoji, ranked by their summed match scores,
    /// then by recent use, then by catalog order.
    public func search(_ query: SearchQuery) -> [Int32] {
        page(query, offset: 0, limit: .max).items
    }

    /// The matches `search` ranks from `offset` on, at most `limit` of them, and how many there are in all, without
    /// ranking every match: a common prefix matches thousands of items and a page shows twenty, so only the first
    /// `offset + limit` are kept (a bounded heap) and sorted.
    public func page(_ query: SearchQuery, offset: Int, limit: Int) -> (items: [Int32], total: Int) {
        let keys = matchKeys(query)
        let offset = max(0, offset)
        guard offset < keys.count, limit > 0 else { return ([], keys.count) }
        // Never more than there are (and no overflow for a huge limit).
        let wanted = offset + min(limit, keys.count - offset)
        var first = wanted >= keys.count / 2 ? keys : Self.smallest(wanted, of: keys)
        first.sort()
        return (first.dropFirst(offset).prefix(limit).map(Self.document(ofKey:)), keys.count)
    }

    /// The `count` smallest of `keys` (fewer than half of them), in no particular order.
    static func smallest(_ count: Int, of keys: [UInt64]) -> [UInt64] {
        guard count > 0 else { return [] }
        // A max-heap of the smallest seen so far: its root is the one to beat.
        var heap = Array(keys.prefix(count))
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { return }
                let child = left + 1 < heap.count && heap[left + 1] > heap[left] ? left + 1 : left
                guard heap[child] > heap[parent] else { return }
                heap.swapAt(child, parent)
                parent = child
            }
        }
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
        for key in keys.dropFirst(count) where key < heap[0] {
            heap[0] = key
            siftDown(0)
        }
        return heap
    }

    /// A match's rank key: higher score, then more used, then earlier in the catalog, as one integer compared once
    /// (a document's order is its index, below 2^22 — four million stickers).
    static let orderBits: UInt64 = 22
    static let popularityBits: UInt64 = 22

    static func document(ofKey key: UInt64) -> Int32 {
        Int32(truncatingIfNeeded: key & ((1 << orderBits) - 1))
    }

    /// Every match of `query` as its rank key, unordered.
    func matchKeys(_ query: SearchQuery) -> [UInt64] {
        let termCount = query.termCount
        guard termCount > 0 else { return [] }
        let localeRank = locales.map { tag -> Int32 in
            guard let wanted = query.locale else { return 0 }
            return tag == wanted || wanted.hasPrefix(tag + "-") || tag.hasPrefix(wanted + "-") ? 2 : 0
        }
        let neutralRank: Int32 = query.locale == nil ? 0 : 1
        var work = scratch.withLock { $0.popLast() } ?? Scratch(count: documents.count)
        var touched: [Int32] = []
        // Every document scored in the first round: later rounds score only documents that matched every earlier
        // one, so these are all the entries this query sets.
        var firstRound: [Int32] = []
        // The documents that matched every word and emoji so far.
        var survivors: [Int32] = []
        var round: UInt8 = 0
        defer {
            for document in firstRound {
                let index = Int(document)
                work.total[index] = 0
                work.matched[index] = 0
                work.best[index] = 0
            }
            scratch.withLock { if $0.count < 8 { $0.append(work) } }
        }

        func consider(_ document: Int32, _ score: Int32) {
            let index = Int(document)
            // Only documents that matched every earlier term can still match them all.
            guard work.matched[index] == round else { return }
            if work.best[index] == 0 { touched.append(document) }
            if score > work.best[index] { work.best[index] = score }
        }
        func finishRound() -> Bool {
            for document in touched {
                let index = Int(document)
                work.total[index] += work.best[index]
                work.best[index] = 0
                work.matched[index] = round + 1
            }
            if round == 0 { firstRound = touched }
            let any = !touched.isEmpty
            if round + 1 < termCount { swap(&survivors, &touched); touched.removeAll(keepingCapacity: true) }
            round += 1
            return any
        }

        // Words and emoji are matched rarest first: the first is walked through its postings, and it bounds the
        // documents every later one can still add to. A later word whose prefix is common ("sal" of thousands of
        // words) is then checked against those few documents' own postings, not walked. The scores add up, so the
        // order changes no answer.
        let steps = query.emojis.map { Step.emoji(emojiStickers[$0] ?? []) } + query.words.map { step(for: $0) }
        let averageEntries = max(1, entries.count / max(1, documents.count))
        for step in steps.sorted(by: { $0.cost < $1.cost }) {
            switch step {
            case .emoji(let documents):
                for document in documents { consider(document, Quality.exact.rawValue * 100 + Int32(Field.keyword.rawValue) * 10 + neutralRank) }
            case .word(let range, let exactLength, let substrings, let cost):
                func score(_ term: Int, field: Field, locale: Int32) -> Int32 {
                    let quality: Quality = range.contains(term) ? (terms[term].count == exactLength ? .exact : .prefix) : .substring
                    let rank = locale < 0 ? neutralRank : localeRank[Int(locale)]
                    return quality.rawValue * 100 + Int32(field.rawValue) * 10 + rank
                }
                if round > 0, survivors.count * averageEntries < cost {
                    let extra = substrings.count > 8 ? Set(substrings) : nil
                    for document in survivors {
                        for slot in Int(entryStart[Int(document)])..<Int(entryStart[Int(document) + 1]) {
                            let entry = entries[slot]
                            let term = Int(entry.term)
                            guard range.contains(term) || (extra.map { $0.contains(entry.term) } ?? substrings.contains(entry.term)) else { continue }
                            consider(document, score(term, field: entry.field, locale: entry.locale))
                        }
                    }
                } else {
                    for term in range { for posting in postings[term] { consider(posting.document, score(term, field: posting.field, locale: posting.locale)) } }
                    for term in substrings { for posting in postings[Int(term)] { consider(posting.document, score(Int(term), field: posting.field, locale: posting.locale)) } }
                }
            }
            guard finishRound() else { return [] }
        }
        let (orderBits, popularityBits) = (Self.orderBits, Self.popularityBits)
        return touched.map { document -> UInt64 in
            let index = Int(document)
            let score = UInt64(max(0, 4095 - Int(work.total[index])))
            let popularity = UInt64(min(Int(documents[index].popularity), (1 << popularityBits) - 1))
            return score << (orderBits + popularityBits) | popularity << orderBits | UInt64(index)
        }
    }

    /// One word or emoji of a query: the documents or terms it matches, and how many postings walking them takes.
    enum Step {
        case emoji([Int32])
        /// Terms starting with the word (a run of `terms`), the length of one equal to it, and terms containing it
        /// elsewhere (scripts without spaces).
        case word(range: Range<Int>, exactLength: Int, substrings: [Int32], cost: Int)

        var cost: Int {
            switch self {
            case .emoji(let documents): documents.count
            case .word(_, _, _, let cost): cost
            }
        }
    }

    func step(for word: SearchText.Word) -> Step {
        let bytes = Array(word.text.utf8)
        let low = lowerBound(bytes)
        // Terms starting with the word run up to the word followed by 0xFF, a byte UTF-8 never holds.
        let high = lowerBound(bytes + [0xFF])
        let substrings = word.unspaced ? substringTerms(word.text, bytes: bytes) : []
        let cost = postingsBefore[high] - postingsBefore[low] + substrings.reduce(0) { $0 + postings[Int($1)].count }
        return .word(range: low..<high, exactLength: bytes.count, substrings: substrings, cost: cost)
    }

    /// Terms containing `text` without starting with it (those are prefix matches).
    func substringTerms(_ text: String, bytes: [UInt8]) -> [Int32] {
        // The rarest of the word's grams bounds the candidates; each is then checked whole.
        var candidates: [Int32]?
        for gram in Self.grams(of: text) where gram.unicodeScalars.count == min(2, text.unicodeScalars.count) {
            guard let list = grams[gram] else { return [] }
            if list.count < candidates?.count ?? .max { candidates = list }
        }
        return (candidates ?? []).filter { term in
            let candidate = terms[Int(term)]
            return !candidate.starts(with: bytes) && Self.contains(candidate, bytes)
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        if needle.isEmpty { return true }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }

    /// The first index whose term is not below `bytes`.
    func lowerBound(_ bytes: [UInt8]) -> Int {
        var low = 0, high = terms.count
        while low < high {
            let middle = (low + high) / 2
            if terms[middle].lexicographicallyPrecedes(bytes) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Stickers carrying the emoji with `key`, most used first.
    public func stickers(forEmoji key: String) -> [Int32] {
        emojiStickers[key] ?? []
    }

    /// Writes a result item: `{"packId", "sticker": the catalog's sticker JSON, "type": "sticker"}` or
    /// `{"pack": the catalog's pack JSON without its stickers but with their count, "type": "pack"}`.
    public func writeItem(_ document: Int32, to writer: inout JSONWriter) {
        let entry = documents[Int(document)]
        writer.object { object in
            if entry.isPack {
                object.member("pack") { $0.raw(entry.json) }
            } else {
                object.member("packId", entry.packId)
                object.member("sticker") { $0.raw(entry.json) }
            }
            object.member("type", entry.isPack ? "pack" : "sticker")
        }
    }

    /// A result item's JSON (`writeItem` into bytes of its own).
    public func item(_ document: Int32) -> [UInt8] {
        var writer = JSONWriter(capacity: documents[Int(document)].json.count + 64)
        writeItem(document, to: &writer)
        return writer.bytes
    }

    /// A result item's id (a sticker's or a pack's) and whether it is a pack.
    public func identity(_ document: Int32) -> (id: String, isPack: Bool) {
        let entry = documents[Int(document)]
        return (entry.id, entry.isPack)
    }

    /// The emoji index document: `{"emojis": {key: [sticker ids in rank order]}}`, keys sorted bytewise.
    public func emojiIndexJSON() -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + emojiStickers.count * 64)
        writer.object { object in
            object.member("emojis") { emojis in
                emojis.object { members in
                    for key in emojiStickers.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                        members.member(key, (emojiStickers[key] ?? []).map { documents[Int($0)].id })
                    }
                }
            }
        }
        return writer.bytes
    }
}
