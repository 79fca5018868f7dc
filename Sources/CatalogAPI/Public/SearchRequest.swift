import CatalogCore

/// A search's parameters, checked: `q` (words and emoji), `locale`, `limit` and `cursor`.
struct SearchRequest {
    var query: SearchQuery
    var limit: Int
    /// Where the page starts in the ranked results.
    var offset: Int

    /// Parses `rawQuery` for the catalog at `version`: a cursor from another version is refused (its ranking is gone).
    init(rawQuery: String, version: Int64) throws(Problem) {
        let parameters = try QueryParameters(rawQuery, allowed: SearchController.searchParameters)
        guard let text = parameters["q"] else {
            throw Problem.badRequest("q is required: the words or emoji to search for.", errors: [FieldIssue(field: "q", message: "is required")])
        }
        guard text.utf8.count <= SearchController.maximumQueryBytes else {
            throw Problem.badRequest("q is longer than \(SearchController.maximumQueryBytes) bytes.",
                                     errors: [FieldIssue(field: "q", message: "must be at most \(SearchController.maximumQueryBytes) bytes of UTF-8")])
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            throw Problem.badRequest("q must not contain control characters.", errors: [FieldIssue(field: "q", message: "must not contain control characters")])
        }
        var locale: String?
        if let tag = parameters["locale"] {
            guard ManifestParser.isLocaleTag(tag) else {
                throw Problem.badRequest("locale must be a locale tag such as en or zh-Hans.", errors: [FieldIssue(field: "locale", message: "is not a locale tag such as en or zh-Hans")])
            }
            locale = tag
        }
        query = SearchQuery(text: text, locale: locale)
        guard query.termCount > 0 else {
            throw Problem.badRequest("q has no word or emoji to search for.", errors: [FieldIssue(field: "q", message: "must contain a word or an emoji")])
        }
        guard query.termCount <= SearchQuery.maximumTerms else {
            throw Problem.badRequest("q has \(query.termCount) words and emoji; at most \(SearchQuery.maximumTerms) are searched together.",
                                     errors: [FieldIssue(field: "q", message: "must have at most \(SearchQuery.maximumTerms) words and emoji")])
        }
        limit = try parameters.integer("limit", in: 1...SearchController.maximumPageSize, default: SearchController.defaultPageSize)
        offset = 0
        if let cursor = parameters["cursor"] {
            guard let (cursorVersion, cursorOffset) = Self.parse(cursor: cursor) else {
                throw Problem.badRequest("cursor is not one this service gave.", errors: [FieldIssue(field: "cursor", message: "is not a cursor from a search answer")])
            }
            guard cursorVersion == version else {
                throw Problem(.gone, type: "urn:catalog-service:problem:cursor-expired", title: "The catalog changed since this cursor",
                              detail: "The cursor belongs to catalog version \(cursorVersion); the catalog is at \(version). Search again without a cursor.",
                              errors: [FieldIssue(field: "cursor", message: "is from catalog version \(cursorVersion)")])
            }
            offset = cursorOffset
        }
    }

    /// `{version}.{offset}`: opaque to clients, which send back what `nextCursor` said.
    static func cursor(version: Int64, offset: Int) -> String { "\(version).\(offset)" }

    /// Everything the page for this request at `snapshot` depends on (see `SearchController.pageKey`).
    func pageKey(_ snapshot: CatalogSnapshot) -> String {
        let words = query.words.map { $0.unspaced ? $0.text + "\u{1F}u" : $0.text + "\u{1F}s" }
        return SearchController.pageKey(
            "search", snapshot, [query.locale ?? "", String(offset), String(limit), String(words.count)] + words + query.emojis
        )
    }

    static func parse(cursor: String) -> (version: Int64, offset: Int)? {
        let parts = cursor.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ (1...18).contains($0.utf8.count) && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
              let version = Int64(parts[0]), let offset = Int(parts[1]), offset <= SearchController.maximumOffset else { return nil }
        return (version, offset)
    }
}
