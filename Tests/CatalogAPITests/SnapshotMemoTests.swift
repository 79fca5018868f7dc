@testable import CatalogAPI
import CatalogCore
import Foundation
import Testing

@Suite("Snapshot memo: values remembered per catalog version, bounded")
struct SnapshotMemoTests {
    static func snapshot(_ version: Int64) -> CatalogSnapshot {
        CatalogSnapshot(content: CatalogContent(version: version, changedAt: Date(timeIntervalSince1970: 1_800_000_000), packs: []), publicBaseURL: "http://x")
    }

    @Test func valuesLiveAsLongAsTheirSnapshot() {
        let memo = SnapshotMemo<String, Int>(capacity: 3)
        let first = Self.snapshot(1)
        var computed = 0
        func value(_ key: String, _ snapshot: CatalogSnapshot, remember: Bool = true) -> Int {
            memo.value(for: key, in: snapshot) {
                computed += 1
                return (Int(snapshot.version) * 100 + key.count, remember)
            }
        }
        #expect(value("a", first) == 101 && value("a", first) == 101 && computed == 1)
        // Not remembered: computed every time.
        #expect(value("bb", first, remember: false) == 102 && value("bb", first, remember: false) == 102 && computed == 3)
        // A newer snapshot starts afresh; an older one asked about late neither answers from nor replaces it.
        let second = Self.snapshot(2)
        #expect(value("a", second) == 201 && computed == 4)
        #expect(value("a", first) == 101 && computed == 5)
        #expect(value("a", second) == 201 && computed == 5)
        // Full: each new value replaces the oldest ("a", then "b"); the rest stay remembered.
        for key in ["b", "cc", "ddd", "eeee"] { _ = value(key, second) }
        #expect(memo.count == 3 && computed == 9)
        #expect(value("cc", second) == 202 && value("ddd", second) == 203 && value("eeee", second) == 204 && computed == 9)
        #expect(value("a", second) == 201 && computed == 10)
        // "a" came back in place of "cc", the oldest then.
        #expect(value("ddd", second) == 203 && computed == 10)
        #expect(value("cc", second) == 202 && computed == 11)
    }

    /// Verdicts are remembered by content type and the content's exact literal.
    @Test func verdictKeysCompareTypeAndLiteralBytes() {
        typealias Key = OpenIMWebhookController.VerdictKey
        let literal = Array(#""{\"data\":\"x\"}""#.utf8)
        let same = Key(contentType: 110, contentLiteral: literal)
        #expect(same == Key(contentType: 110, contentLiteral: literal))
        #expect(same.hashValue == Key(contentType: 110, contentLiteral: literal).hashValue)
        #expect(same != Key(contentType: 115, contentLiteral: literal))
        var flipped = literal
        flipped[flipped.count - 3] ^= 0x01
        #expect(same != Key(contentType: 110, contentLiteral: flipped))
        #expect(same != Key(contentType: 110, contentLiteral: Array(literal.dropLast())))
        #expect(Key(contentType: 0, contentLiteral: []) == Key(contentType: 0, contentLiteral: []))
        let memo = SnapshotMemo<Key, Int>(capacity: 8)
        let snapshot = Self.snapshot(1)
        #expect(memo.value(for: same, in: snapshot) { (1, true) } == 1)
        #expect(memo.value(for: Key(contentType: 110, contentLiteral: literal), in: snapshot) { (2, true) } == 1)
        #expect(memo.value(for: Key(contentType: 110, contentLiteral: flipped), in: snapshot) { (3, true) } == 3)
    }
}
