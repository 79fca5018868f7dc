import CatalogCore
import HTTPTypes
import Hummingbird
import OpenIMContent

/// Finding stickers: search by words and emoji, the stickers for one emoji, and the whole emoji index — all from the
/// snapshot's `SearchIndex`, cached like the catalog (strong ETags, 304, gzip, `Catalog-Version`).
struct SearchController {
    let snapshots: CatalogSnapshotStore
    let responder: RepresentationResponder
    /// The router's answers per snapshot by raw query text: the same query typed by many users is ranked once per
    /// version. Refusals are remembered too: a malformed query repeated costs a lookup. The byte lane, which answers
    /// every well-formed query, remembers its answers in its own memo (with their heads) and makes them directly:
    /// through this one too, each answer made afresh was remembered twice, two inserts and two evictions per miss.
    let searchPages = SnapshotMemo<String, Result<PreparedRepresentation, Problem>>(capacity: 2048)
    let emojiPages = SnapshotMemo<String, Result<PreparedRepresentation, Problem>>(capacity: 2048)

    static let searchParameters: Set<String> = ["q", "locale", "limit", "cursor"]
    static let emojiParameters: Set<String> = ["emoji", "limit"]
    /// Longest query: a picker's search box, not a document.
    static let maximumQueryBytes = 256
    static let defaultPageSize = 20
    static let maximumPageSize = 100
    /// Furthest a cursor may point: past this, a user refines the query rather than scrolling.
    static let maximumOffset = 10_000
    static let defaultSuggestions = 50
    static let maximumSuggestions = 200

    /// All three are answered by the byte lane too; whatever it declines (a malformed query, If-Modified-Since) is
    /// the router's, through the same functions.
    func routes() -> [Route] {
        let searchLane = Route.Lane.representation(
            PreparedSource(snapshots: snapshots, responder: responder) { snapshot, query in (try? makeSearchPage(snapshot, rawQuery: query)).map { ($0, nil) } },
            capacity: 2048, headsOnDemand: true, key: { $0.queryText }
        )
        let emojiLane = Route.Lane.representation(
            PreparedSource(snapshots: snapshots, responder: responder) { snapshot, query in (try? makeEmojiPage(snapshot, rawQuery: query)).map { ($0, nil) } },
            capacity: 2048, headsOnDemand: true, key: { $0.queryText }
        )
        let indexLane = Route.Lane.representation(PreparedSource(snapshots: snapshots, responder: responder) { snapshot, _ in (snapshot.emojiIndex, nil) })
        return [
            Route([.get, .head], "/v1/catalog/search", lane: searchLane) { request, _ in
                try respond(request) { try searchPage($0, rawQuery: request.uri.query ?? "") }
            },
            Route([.get, .head], "/v1/catalog/stickers-for-emoji", lane: emojiLane) { request, _ in
                try respond(request) { try emojiPage($0, rawQuery: request.uri.query ?? "") }
            },
            Route([.get, .head], "/v1/catalog/emoji-index", lane: indexLane) { request, _ in
                try respond(request) { $0.emojiIndex }
            },
        ] + ["/v1/catalog/search", "/v1/catalog/stickers-for-emoji", "/v1/catalog/emoji-index"].map { path in
            Route(.options, path) { _, _ in CatalogController.preflight() }
        }
    }

    func respond(_ request: Request, representation: (CatalogSnapshot) throws -> PreparedRepresentation) throws -> Response {
        guard let snapshot = snapshots.current else { throw Problem.unavailable("The catalog is loading; retry shortly.") }
        let prepared = try representation(snapshot)
        return responder.respond(method: request.method, headers: request.headers, representation: prepared, lastModified: nil, catalogVersion: snapshot.version)
            .response
    }

    // MARK: Search

    /// One page of results for `rawQuery` (`q`, `locale`, `limit`, `cursor`) at `snapshot`.
    func searchPage(_ snapshot: CatalogSnapshot, rawQuery: String) throws(Problem) -> PreparedRepresentation {
        try Self.remembered(in: searchPages, snapshot, rawQuery, make: makeSearchPage)
    }

    /// `make`'s answer or refusal for `rawQuery`, worked out once per snapshot.
    static func remembered(
        in memo: SnapshotMemo<String, Result<PreparedRepresentation, Problem>>, _ snapshot: CatalogSnapshot, _ rawQuery: String,
        make: (CatalogSnapshot, String) throws(Problem) -> PreparedRepresentation
    ) throws(Problem) -> PreparedRepresentation {
        try memo.value(for: rawQuery, in: snapshot) { (Result { () throws(Problem) in try make(snapshot, rawQuery) }, true) }.get()
    }

    func makeSearchPage(_ snapshot: CatalogSnapshot, rawQuery: String) throws(Problem) -> PreparedRepresentation {
        let request = try SearchRequest(rawQuery: rawQuery, version: snapshot.version)
        let (page, total) = snapshot.search.page(request.query, offset: request.offset, limit: request.limit)
        let next = request.offset + page.count
        var writer = JSONWriter(capacity: 256 + page.count * 512)
        writer.object { object in
            object.member("items") { items in items.array(page) { array, document in snapshot.search.writeItem(document, to: &array) } }
            object.member("nextCursor") { cursor in
                if next < total, next <= Self.maximumOffset { cursor.string(SearchRequest.cursor(version: snapshot.version, offset: next)) } else { cursor.null() }
            }
            object.member("query", request.query.normalized)
            object.member("total", total)
        }
        return PreparedRepresentation(bytes: writer.bytes, gzip: .perRequest, determinedBy: request.pageKey(snapshot))
    }

    // MARK: Stickers for an emoji

    /// The stickers carrying `emoji`, most used first: what a picker suggests when the typed message is that emoji.
    func emojiPage(_ snapshot: CatalogSnapshot, rawQuery: String) throws(Problem) -> PreparedRepresentation {
        try Self.remembered(in: emojiPages, snapshot, rawQuery, make: makeEmojiPage)
    }

    func makeEmojiPage(_ snapshot: CatalogSnapshot, rawQuery: String) throws(Problem) -> PreparedRepresentation {
        let parameters = try QueryParameters(rawQuery, allowed: Self.emojiParameters)
        guard let text = parameters["emoji"] else {
            throw Problem.badRequest("emoji is required: the emoji typed, e.g. emoji=%F0%9F%91%8B.", errors: [FieldIssue(field: "emoji", message: "is required")])
        }
        guard text.count == 1, let character = text.first, EmojiKey.isEmoji(character) else {
            throw Problem.badRequest("emoji must be exactly one emoji.", errors: [FieldIssue(field: "emoji", message: "must be a single emoji")])
        }
        let limit = try parameters.integer("limit", in: 1...Self.maximumSuggestions, default: Self.defaultSuggestions)
        let key = EmojiKey.key(character)
        let stickers = snapshot.search.stickers(forEmoji: key)
        var writer = JSONWriter(capacity: 256 + min(limit, stickers.count) * 512)
        writer.object { object in
            object.member("emoji", key)
            object.member("items") { items in items.array(stickers.prefix(limit)) { array, document in snapshot.search.writeItem(document, to: &array) } }
            object.member("total", stickers.count)
        }
        return PreparedRepresentation(bytes: writer.bytes, gzip: .perRequest, determinedBy: Self.pageKey("stickers-for-emoji", snapshot, [key, String(limit)]))
    }

    /// Everything a page of `kind` at `snapshot` depends on, unambiguously: what its ETag is the hash of. The catalog
    /// version stands for the catalog's content; the asset URLs' prefix is the replica's configuration, which the
    /// page's URLs are written with; `fields` are the request as compared. Separated by U+001F, which no field can
    /// hold (a query's control characters are refused; locale tags, emoji keys and URLs have none).
    static func pageKey(_ kind: String, _ snapshot: CatalogSnapshot, _ fields: [String]) -> String {
        ([kind, String(snapshot.version), snapshot.assetURLPrefix] + fields).joined(separator: "\u{1F}")
    }
}
