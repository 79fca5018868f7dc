// Search at 30,000 stickers, in process: what building the index adds to a snapshot build (time and resident
// memory), and what one query costs (fold, match, rank the first page, its item bytes), p50/p99 per kind of query.
//   Benchmarks/search_catalog.py json > /tmp/search-packs.json; Benchmarks/search_catalog.py queries > /tmp/search-queries.json
//   cd Benchmarks && swift run -c release SearchIndexLoop /tmp/search-packs.json /tmp/search-queries.json
import CatalogCore
import Foundation
import OpenIMContent

func residentBytes() -> Int {
    let fields = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ") ?? []
    return fields.count > 1 ? (Int(fields[1]) ?? 0) * 4096 : 0
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func strings(_ value: JSONValue?) -> [String] {
    guard case .array(let items)? = value else { return [] }
    return items.compactMap { if case .string(let text) = $0 { text } else { nil } }
}

func texts(_ value: JSONValue?) -> [String: String] {
    guard case .object(let members)? = value else { return [:] }
    var result: [String: String] = [:]
    for member in members { if case .string(let text) = member.value { result[member.key] = text } }
    return result
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let packBytes = FileManager.default.contents(atPath: arguments[1]),
      let queryBytes = FileManager.default.contents(atPath: arguments[2]) else {
    print("usage: SearchIndexLoop packs.json queries.json")
    exit(2)
}
let image = AssetDescriptor(sha256: String(repeating: "ab", count: 32), mime: "image/webp", byteSize: 20_000, width: 512, height: 512, frameCount: 1)
guard case .array(let packValues) = try JSONParser.parse(Array(packBytes)) else { fatalError("packs.json is not an array") }
let packs: [StoredPack] = packValues.enumerated().map { position, pack in
    guard case .array(let stickerValues)? = pack["stickers"] else { fatalError("a pack without stickers") }
    let stickers = stickerValues.map { sticker -> StoredSticker in
        var localized: [String: [String]] = [:]
        if case .object(let members)? = sticker["localized"] { for member in members { localized[member.key] = strings(member.value) } }
        guard case .string(let id)? = sticker["id"] else { fatalError("a sticker without id") }
        let label: String? = if case .string(let text)? = sticker["label"] { text } else { nil }
        return StoredSticker(id: id, asset: image, emojis: strings(sticker["emojis"]), keywords: strings(sticker["keywords"]), localizedKeywords: localized, label: label)
    }
    guard case .string(let id)? = pack["id"] else { fatalError("a pack without id") }
    return StoredPack(
        id: id, title: texts(pack["title"]), description: texts(pack["description"]), publisher: "bench", tray: image, status: .published,
        position: position, animated: false, tags: strings(pack["tags"]), revision: 1, createdAt: Date(), updatedAt: Date(), stickers: stickers
    )
}
let content = CatalogContent(version: 1, changedAt: Date(), packs: packs)
print("catalog: \(packs.count) packs, \(packs.reduce(0) { $0 + $1.stickers.count }) stickers")

// Warm up allocators and Foundation's normalisation tables, then measure the index alone — given the stickers' JSON,
// as the snapshot gives it the bytes it wrote for the catalog — and the whole snapshot.
_ = SearchIndex(packs: Array(packs.prefix(20)), popular: [], baseURL: "https://cdn.example.com")
var rendered: [String: [UInt8]] = [:]
for pack in packs {
    for sticker in pack.stickers {
        var writer = JSONWriter()
        CatalogSnapshot.write(sticker: sticker, baseURL: "https://cdn.example.com", storageFacts: false, to: &writer)
        rendered[sticker.id] = writer.bytes
    }
}
var indexTimes: [Double] = []
var residentGrowth: [Int] = []
var index: SearchIndex?
for _ in 0..<3 {
    index = nil
    let before = residentBytes()
    let start = ContinuousClock.now
    index = SearchIndex(packs: packs, popular: [], baseURL: "https://cdn.example.com", renderedStickers: rendered)
    indexTimes.append(milliseconds(ContinuousClock.now - start))
    residentGrowth.append(residentBytes() - before)
}
var snapshotTimes: [Double] = []
var searchTimes: [(build: Double, added: Double)] = []
for _ in 0..<3 {
    let start = ContinuousClock.now
    let snapshot = CatalogSnapshot(content: content, publicBaseURL: "https://cdn.example.com")
    snapshotTimes.append(milliseconds(ContinuousClock.now - start))
    searchTimes.append((milliseconds(snapshot.searchBuildTime.build), milliseconds(snapshot.searchBuildTime.added)))
}
print(String(format: "index build: %.0f ms (best of 3 %.0f); resident memory added by the first build: %.1f MB", indexTimes.sorted()[1], indexTimes.min() ?? 0, Double(residentGrowth[0]) / 1_048_576))
print(String(format: "whole snapshot build (catalog JSON, gzip, packs, resolver maps and the index): %.0f ms (median of 3)", snapshotTimes.sorted()[1]))
// The index is built on a second thread during the snapshot's build; what it adds is the time the build waited for it.
print("  its search index: built in " + searchTimes.map { String(format: "%.0f", $0.build) }.joined(separator: "/")
    + " ms beside the rest; the snapshot waited " + searchTimes.map { String(format: "%.0f", $0.added) }.joined(separator: "/") + " ms for it")

guard let index, case .object(let kinds) = try JSONParser.parse(Array(queryBytes)) else { fatalError("queries.json is not an object") }
var bytes = 0
for kind in kinds {
    let queries = strings(kind.value)
    var times: [Double] = []
    var matched = 0
    for round in 0..<2 {
        for text in queries {
            let start = ContinuousClock.now
            let results = index.page(SearchQuery(text: text, locale: "en"), offset: 0, limit: 20)
            for document in results.items { bytes &+= index.item(document).count }
            let elapsed = milliseconds(ContinuousClock.now - start)
            if round == 1 {
                times.append(elapsed)
                if results.total > 0 { matched += 1 }
            }
        }
    }
    times.sort()
    func percentile(_ p: Double) -> Double { times[min(times.count - 1, Int(Double(times.count) * p))] * 1000 }
    print(String(format: "%@: %d queries, %d with results; p50 %.0f µs, p99 %.0f µs, max %.0f µs", kind.key, queries.count, matched, percentile(0.5), percentile(0.99), (times.last ?? 0) * 1000))
}

// A search answered afresh, step by step, as the service prepares it (SearchController.makeSearchPage): the query
// folded, the first page ranked, the page's JSON written, its gzip (libdeflate level 1) and, for comparison, the
// SHA-256 over its bytes that tagged pages before session 17.
for kind in kinds where kind.key != "emoji" {
    let queries = strings(kind.value)
    var steps: [String: [Double]] = ["fold": [], "rank": [], "json": [], "gzip": [], "sha256 of the page": []]
    var pageBytes: [Int] = []
    for round in 0..<2 {
        for text in queries {
            var start = ContinuousClock.now
            func lap(_ step: String) {
                let now = ContinuousClock.now
                if round == 1 { steps[step, default: []].append(milliseconds(now - start)) }
                start = now
            }
            let query = SearchQuery(text: text, locale: "en")
            lap("fold")
            let (page, total) = index.page(query, offset: 0, limit: 20)
            lap("rank")
            var writer = JSONWriter(capacity: 256 + page.count * 512)
            writer.object { object in
                object.member("items") { items in items.array(page) { array, document in index.writeItem(document, to: &array) } }
                object.member("nextCursor", "1.20")
                object.member("query", query.normalized)
                object.member("total", total)
            }
            lap("json")
            bytes &+= Gzip.compress(writer.bytes, level: .perRequest).readableBytes
            lap("gzip")
            bytes &+= PackAssembler.sha256Hex(writer.bytes).utf8.count
            lap("sha256 of the page")
            if round == 1 { pageBytes.append(writer.bytes.count) }
        }
    }
    pageBytes.sort()
    print("\(kind.key), answered afresh, per step (page p50 \(pageBytes[pageBytes.count / 2]) bytes):")
    for step in ["fold", "rank", "json", "gzip", "sha256 of the page"] {
        let times = (steps[step] ?? []).sorted()
        guard !times.isEmpty else { continue }
        print(String(format: "  %@: p50 %.1f µs, p99 %.1f µs, mean %.1f µs", step, times[times.count / 2] * 1000, times[min(times.count - 1, Int(Double(times.count) * 0.99))] * 1000,
                     times.reduce(0, +) / Double(times.count) * 1000))
    }
}
print("checksum \(bytes)")
