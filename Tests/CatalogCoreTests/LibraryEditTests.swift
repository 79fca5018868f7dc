import CatalogCore
import OpenIMContent
import Foundation
import Testing

@Suite("Library edits keep order, caps and availability as documented")
struct LibraryEditTests {
    static let snapshot = CatalogSnapshot(
        content: CatalogContent(version: 3, changedAt: Date(timeIntervalSince1970: 0), packs: [
            SearchIndexTests.pack("pa", title: ["en": "A"], stickers: [SearchIndexTests.sticker("pa-s0", ["😀"]), SearchIndexTests.sticker("pa-s1", ["😀"])]),
            SearchIndexTests.pack("pb", title: ["en": "B"], stickers: [SearchIndexTests.sticker("pb-s0", ["😀"])]),
            SearchIndexTests.pack("old", .archived, title: ["en": "Old"], stickers: [SearchIndexTests.sticker("old-s0", ["😀"])]),
        ]),
        publicBaseURL: "https://cdn.example.com"
    )

    static func view(_ stored: StoredLibrary = .empty, settings: LibrarySettings = LibrarySettings(favoritesCap: 2, recentsCap: 3)) -> LibraryView {
        LibraryView(userId: "u1", stored: stored, settings: settings, snapshot: snapshot)
    }

    @Test func newUsersHaveTheDefaultSetUntilTheyChangeIt() {
        #expect(Self.view().ids(.installed) == ["pa", "pb"])
        #expect(Self.view(settings: LibrarySettings(defaultPacks: ["pb"])).ids(.installed) == ["pb"])
        #expect(Self.view(StoredLibrary(installed: [])).ids(.installed).isEmpty)
    }

    @Test func favoritesAreAddedAtTheFrontAndStopAtTheirCap() throws {
        var stored = try LibraryEdit.add("pa-s0", to: .favorites, in: Self.view())
        stored = try LibraryEdit.add("pb-s0", to: .favorites, in: Self.view(stored))
        #expect(stored.favorites == ["pb-s0", "pa-s0"])
        #expect(throws: LibraryError.capReached(list: .favorites, cap: 2)) { try LibraryEdit.add("pa-s1", to: .favorites, in: Self.view(stored)) }
        // Already there: no change, unless a position is asked for.
        #expect(try LibraryEdit.add("pa-s0", to: .favorites, in: Self.view(stored)).favorites == ["pb-s0", "pa-s0"])
        #expect(try LibraryEdit.add("pa-s0", to: .favorites, at: 0, in: Self.view(stored)).favorites == ["pa-s0", "pb-s0"])
        #expect(throws: LibraryError.self) { try LibraryEdit.add("old-s0", to: .favorites, in: Self.view()) }
        #expect(throws: LibraryError.self) { try LibraryEdit.add("pa", to: .favorites, in: Self.view()) }
    }

    @Test func recentsMoveToTheFrontAndDropTheOldest() throws {
        var stored = StoredLibrary.empty
        for id in ["pa-s0", "pa-s1", "pb-s0", "pa-s0"] { stored = try LibraryEdit.add(id, to: .recents, in: Self.view(stored)) }
        #expect(stored.recents == ["pa-s0", "pb-s0", "pa-s1"])
        stored.recents = ["pa-s0", "pb-s0", "pa-s1"]
        #expect(try LibraryEdit.add("pa-s1", to: .recents, in: Self.view(stored)).recents == ["pa-s1", "pa-s0", "pb-s0"])
    }

    @Test func installingUnhidesAndHidingUninstalls() throws {
        let hidden = try LibraryEdit.add("pa", to: .hidden, in: Self.view())
        #expect(hidden.hidden == ["pa"] && hidden.installed == ["pb"])
        let back = try LibraryEdit.add("pa", to: .installed, at: 1, in: Self.view(hidden))
        #expect(back.installed == ["pb", "pa"] && back.hidden.isEmpty)
    }

    @Test func replacingKeepsUnavailableIdsAlreadyThereAndRefusesOthersByIndex() throws {
        let stored = StoredLibrary(favorites: ["old-s0", "pa-s0"])
        #expect(try LibraryEdit.replace(.favorites, with: ["pa-s0", "old-s0"], in: Self.view(stored)).favorites == ["pa-s0", "old-s0"])
        #expect(throws: LibraryError.invalid([FieldIssue(field: "items[1]", message: "is not a published sticker: nope-s0")])) {
            try LibraryEdit.replace(.favorites, with: ["pa-s0", "nope-s0"], in: Self.view(stored))
        }
        #expect(throws: LibraryError.invalid([FieldIssue(field: "items[1]", message: "repeats pa-s0")])) {
            try LibraryEdit.replace(.favorites, with: ["pa-s0", "pa-s0"], in: Self.view(stored))
        }
        #expect(throws: LibraryError.capReached(list: .favorites, cap: 2)) { try LibraryEdit.replace(.favorites, with: ["pa-s0", "pa-s1", "pb-s0"], in: Self.view()) }
        #expect(Self.view(stored).isAvailable("old-s0", in: .favorites) == false)
    }

    @Test func movesNeedTheItemAndAPositionInsideTheList() throws {
        let stored = StoredLibrary(installed: ["pa", "pb"])
        #expect(try LibraryEdit.move("pb", in: .installed, to: 0, in: Self.view(stored)).installed == ["pb", "pa"])
        #expect(throws: LibraryError.notInList(list: .installed, id: "old")) { try LibraryEdit.move("old", in: .installed, to: 0, in: Self.view(stored)) }
        #expect(throws: LibraryError.self) { try LibraryEdit.move("pa", in: .installed, to: 2, in: Self.view(stored)) }
    }

    @Test func documentsAreParsedWithReadOnlyMembersIgnoredAndUnknownOnesNamed() throws {
        #expect(try LibraryDocumentParser.parse(Array(#"{"items":["pa",{"id":"pb","available":false}],"list":"installed","cap":200,"version":4}"#.utf8)) == ["pa", "pb"])
        #expect(throws: PackValidationError.self) { try LibraryDocumentParser.parse(Array(#"{"items":[],"extra":1}"#.utf8)) }
        #expect(throws: PackValidationError(.invalid, [FieldIssue(field: "version", message: "must be an integer (it is read-only and ignored)")])) {
            try LibraryDocumentParser.parse(Array(#"{"items":[],"version":{}}"#.utf8))
        }
        #expect(throws: PackValidationError(.invalid, [FieldIssue(field: "items[0]", message: "is not an id: \(Slug.rule)")])) {
            try LibraryDocumentParser.parse(Array(#"{"items":["Not An Id"]}"#.utf8))
        }
    }

    /// The library's item lists are written with plain appends for speed; they must be byte for byte what
    /// `JSONWriter` writes for the same objects (sorted keys, the same escaping), since their ETags are hashes of them.
    @Test func itemListsAreExactlyWhatJSONWriterWrites() throws {
        // Available and withdrawn stickers and packs, unknown ids, and ids that need escaping (stored by hand, as a
        // database restore could).
        let stored = StoredLibrary(
            installed: ["pb", "old", "gone", "q\"uote"], favorites: ["pa-s1", "old-s0", "nope", "ctl\u{1}é"],
            recents: [], hidden: ["pa"]
        )
        let view = Self.view(stored)
        for list in LibraryList.allCases {
            var reference = JSONWriter()
            reference.array(view.ids(list)) { array, id in
                array.object { item in
                    let sticker = list.holdsPacks ? nil : Self.snapshot.stickers[id]
                    item.member("available", list.holdsPacks ? Self.snapshot.packs[id] != nil : sticker != nil)
                    item.member("id", id)
                    item.member("packId", sticker?.packId)
                }
            }
            #expect(view.itemsBytes(list) == reference.bytes, "\(list)")
            #expect(try JSONSerialization.jsonObject(with: Data(view.itemsBytes(list))) is [Any])
        }
        let favorites = try #require(JSONSerialization.jsonObject(with: Data(view.itemsBytes(.favorites))) as? [[String: Any]])
        #expect(favorites.map { $0["available"] as? Bool } == [true, false, false, false])
        #expect(favorites.first?["packId"] as? String == "pa")
    }
}
