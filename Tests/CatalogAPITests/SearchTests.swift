@testable import CatalogAPI
import CatalogCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

@Suite("Search, emoji suggestions and the emoji index over HTTP: cached per version, refused by name when malformed")
struct SearchTests {
    /// A pack with per-locale keywords, a flat list and emoji with and without skin tones.
    static let manifest = """
        {"id":"words","title":{"en":"Words","ja":"言葉"},"publisher":"Tests","tray":"tray.png","status":"published","tags":["lexicon"],
         "stickers":[
          {"id":"w-hello","file":"s0.png","emojis":["👋"],"keywords":{"en":["hello"],"zh-Hans":["你好"]},"label":"Hello"},
          {"id":"w-cafe","file":"s1.png","emojis":["☕"],"keywords":["café"],"label":"Coffee"},
          {"id":"w-wave","file":"s2.png","emojis":["👋🏽"],"keywords":["wave"]}
         ]}
        """

    static func publishWords(_ client: any TestClientProtocol, _ components: CatalogServiceComponents) async throws -> Int64 {
        let body = PackUploads.multipart(manifest: manifest, files: PackUploads.standardFiles(count: 3, offset: 40))
        let response = try await client.execute(uri: "/v1/admin/packs", method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished))
        #expect(response.status == .created, "\(response.text)")
        let version = try #require(response.catalogVersion)
        #expect(await components.snapshots.waitForVersion(version))
        return version
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    static func search(_ client: any TestClientProtocol, _ query: String, _ extra: String = "", headers: HTTPFields = [:]) async throws -> TestResponse {
        try await client.execute(uri: "/v1/catalog/search?q=\(encoded(query))\(extra)", method: .get, headers: headers)
    }

    static func ids(_ response: TestResponse) -> [String] {
        guard case .array(let items)? = response.json["items"] else { return [] }
        return items.compactMap { item in
            switch (item["sticker"]?["id"], item["pack"]?["id"]) {
            case (.string(let id)?, _), (_, .string(let id)?): id
            default: nil
            }
        }
    }

    @Test func queriesInSeveralScriptsFindTheirStickers() async throws {
        try await TestService.run { client, components in
            _ = try await Self.publishWords(client, components)
            for (query, expected) in [
                ("hello", ["w-hello"]), ("HEL", ["w-hello"]), ("你", ["w-hello"]), ("cafe", ["w-cafe"]), ("CAFÉ", ["w-cafe"]),
                ("👋🏻", ["w-hello", "w-wave"]), ("hello 👋", ["w-hello"]), ("言葉", ["words"]), ("lexicon", ["words"]), ("nothing", []),
            ] {
                let response = try await Self.search(client, query)
                #expect(response.status == .ok, "\(query): \(response.text)")
                #expect(Self.ids(response) == expected, "\(query)")
                #expect(response.json["total"] == .integer(Int64(expected.count)))
            }
            let localized = try await Self.search(client, "hello")
            #expect(localized.json["items"]?[0]?["sticker"]?["localizedKeywords"]?["zh-Hans"] == .array([.string("你好")]))
            #expect(localized.json["query"] == .string("hello"))
        }
    }

    @Test func answersCarryTheVersionAndAStrongETagPerQueryWith304AndGzip() async throws {
        try await TestService.run { client, components in
            let version = try await Self.publishWords(client, components)
            let first = try await Self.search(client, "hello")
            #expect(first.catalogVersion == version)
            let eTag = try #require(first.headers[.eTag])
            #expect(!eTag.hasPrefix("W/"))
            #expect(first.headers[.vary] == "Accept-Encoding")
            #expect(try await Self.search(client, "hello", headers: [.ifNoneMatch: eTag]).status == .notModified)
            // Another query, another tag; the same query in another order of parameters, the same bytes.
            let other = try await Self.search(client, "wave")
            #expect(other.headers[.eTag] != eTag)
            let reordered = try await client.execute(uri: "/v1/catalog/search?limit=20&q=hello", method: .get)
            #expect(reordered.headers[.eTag] == eTag)
            let gzip = try await Self.search(client, "hello", headers: [.acceptEncoding: "gzip"])
            #expect(gzip.headers[.contentEncoding] == "gzip")
            let gzipTag = try #require(gzip.headers[.eTag])
            #expect(gzipTag != eTag)
            var compressed = gzip.body
            #expect(try compressed.decompress(with: .gzip()) == first.body)
            #expect(try await Self.search(client, "hello", headers: [.acceptEncoding: "gzip", .ifNoneMatch: gzipTag]).status == .notModified)
            let head = try await client.execute(uri: "/v1/catalog/search?q=hello", method: .head)
            #expect(head.status == .ok && head.body.readableBytes == 0 && head.headers[.contentLength] == String(first.body.readableBytes))
        }
    }

    /// A page's tag is the hash of its version and normalised request, not of its bytes: one tag must never name two
    /// different pages (a client would keep a stale one on 304), and spellings of one query share it.
    @Test func oneTagNamesOnePageAndSpellingsOfAQueryShareIt() async throws {
        try await TestService.run { client, components in
            _ = try await Self.publishWords(client, components)
            let many = try await PackUploads.create(client, id: "more", count: 5, offset: 70)
            #expect(await components.snapshots.waitForVersion(try #require(many.catalogVersion)))
            let queries = ["hello", "HELLO", "Hello ", "hello wave", "wave hello", "cafe", "CAFÉ", "café", "👋", "👋🏽", "👋 hello", "hello 👋",
                           "你好", "lexicon", "words", "😀"]
            let extras = ["", "&limit=1", "&limit=2", "&locale=en", "&locale=zh-Hans", "&limit=2&locale=ja"]
            var pages: [String: (body: ByteBuffer, asked: String)] = [:]
            var shared = 0
            for query in queries {
                for extra in extras {
                    var asked = [(query, extra)]
                    let first = try await Self.search(client, query, extra)
                    #expect(first.status == .ok, "\(query)\(extra): \(first.text)")
                    // The next page, when there is one, through its cursor.
                    if case .string(let cursor)? = first.json["nextCursor"] { asked.append((query, extra + "&cursor=\(Self.encoded(cursor))")) }
                    for (text, parameters) in asked {
                        let response = try await Self.search(client, text, parameters)
                        let tag = try #require(response.headers[.eTag])
                        if let earlier = pages[tag] {
                            #expect(earlier.body == response.body, "\(earlier.asked) and \(text)\(parameters) share \(tag) with different pages")
                            shared += earlier.asked == text + parameters ? 0 : 1
                        } else {
                            pages[tag] = (response.body, text + parameters)
                        }
                    }
                }
            }
            // Spellings of one query ("hello", "HELLO", "Hello ") and emoji with and without a skin tone shared tags.
            #expect(shared >= 12)
            let hello = try await Self.search(client, "hello")
            #expect(try await Self.search(client, "HeLLo").headers[.eTag] == hello.headers[.eTag])
            #expect(try await Self.search(client, "hello", "&limit=1").headers[.eTag] != hello.headers[.eTag])
        }
    }

    /// Pages' URLs are written with the replica's public base URL: replicas configured with different ones write
    /// different pages, so their tags differ too.
    @Test func aPageKeyNamesTheCatalogVersionAndTheReplicasAssetURLs() throws {
        let content = CatalogContent(version: 7, changedAt: Date(timeIntervalSince1970: 1_790_000_000), packs: [])
        let one = CatalogSnapshot(content: content, publicBaseURL: "https://a.example.com")
        let other = CatalogSnapshot(content: content, publicBaseURL: "https://b.example.com")
        let newer = CatalogSnapshot(content: CatalogContent(version: 8, changedAt: content.changedAt, packs: []), publicBaseURL: "https://a.example.com")
        let request = try SearchRequest(rawQuery: "q=hello", version: 7)
        #expect(request.pageKey(one) != request.pageKey(other))
        #expect(request.pageKey(one) != request.pageKey(newer))
        #expect(request.pageKey(one) == (try SearchRequest(rawQuery: "q=HELLO", version: 7)).pageKey(one))
    }

    @Test func pagesFollowTheirCursorsWithoutGapOrDuplicate() async throws {
        try await TestService.run { client, components in
            _ = try await CatalogTests.publish(client, components, id: "many", offset: 60)
            let more = try await PackUploads.create(client, id: "more", count: 5, offset: 70)
            #expect(await components.snapshots.waitForVersion(try #require(more.catalogVersion)))
            let whole = try await Self.search(client, "😀", "&limit=100")
            let all = Self.ids(whole)
            #expect(all.count == 7)
            #expect(whole.json["nextCursor"] == .null)
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await Self.search(client, "😀", "&limit=3" + (cursor.map { "&cursor=\(Self.encoded($0))" } ?? ""))
                #expect(page.status == .ok, "\(page.text)")
                seen += Self.ids(page)
                if case .string(let next)? = page.json["nextCursor"] { cursor = next } else { cursor = nil }
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == all)
        }
    }

    @Test func aWriteChangesAnswersOnlyWithTheSnapshotItsVersionNames() async throws {
        try await TestService.run { client, components in
            let before = try await Self.publishWords(client, components)
            let stale = try await Self.search(client, "😀", "&limit=1")
            #expect(Self.ids(stale).isEmpty)
            let cursorPage = try await Self.search(client, "👋", "&limit=1")
            let oldCursor = try #require({ if case .string(let text)? = cursorPage.json["nextCursor"] { text } else { nil } }())

            let write = try await PackUploads.create(client, id: "later", offset: 80)
            let version = try #require(write.catalogVersion)
            #expect(version > before)
            // Every answer is the snapshot's whose version it names: old answers name the old version.
            for _ in 0..<20 {
                let answer = try await Self.search(client, "😀")
                let answered = try #require(answer.catalogVersion)
                #expect(Self.ids(answer).isEmpty == (answered < version), "version \(answered): \(answer.text)")
            }
            #expect(await components.snapshots.waitForVersion(version))
            #expect(Self.ids(try await Self.search(client, "😀")) == ["later-s0", "later-s1"])
            // A cursor from the old version no longer pages: its ranking is gone.
            let expired = try await Self.search(client, "👋", "&limit=1&cursor=\(Self.encoded(oldCursor))")
            #expect(expired.status == .gone, "\(expired.text)")
            #expect(expired.headers[.contentType] == "application/problem+json")
            #expect(expired.json["errors"]?[0]?["field"] == .string("cursor"))
        }
    }

    @Test(arguments: [
        ("", "q"),
        ("?limit=5", "q"),
        ("?q=hello&colour=red", "colour"),
        ("?q=hello&q=again", "q"),
        ("?q=%E0%A4", "q"),
        ("?q=%zz", "q"),
        ("?q=hello&limit=0", "limit"),
        ("?q=hello&limit=101", "limit"),
        ("?q=hello&limit=ten", "limit"),
        ("?q=hello&locale=not_a_locale", "locale"),
        ("?q=%21%21%21", "q"),
        ("?q=a+b+c+d+e+f+g+h+i", "q"),
        ("?q=\(String(repeating: "a", count: 257))", "q"),
        ("?q=hello&cursor=abc", "cursor"),
        ("?q=hello&cursor=1.99999", "cursor"),
    ])
    func malformedSearchesAreRefusedByName(query: String, field: String) async throws {
        try await TestService.run { client, _ in
            let response = try await client.execute(uri: "/v1/catalog/search\(query)", method: .get)
            #expect(response.status == .badRequest, "\(query): \(response.text)")
            #expect(response.headers[.contentType] == "application/problem+json")
            guard case .array(let errors)? = response.json["errors"] else { Issue.record("\(query): no errors"); return }
            #expect(errors.contains { $0["field"] == .string(field) }, "\(query): \(response.text)")
        }
    }

    @Test func stickersForAnEmojiAndTheEmojiIndex() async throws {
        try await TestService.run { client, components in
            let before = try await Self.publishWords(client, components)
            let suggestions = try await client.execute(uri: "/v1/catalog/stickers-for-emoji?emoji=\(Self.encoded("👋🏿"))", method: .get)
            #expect(suggestions.status == .ok, "\(suggestions.text)")
            #expect(Self.ids(suggestions) == ["w-hello", "w-wave"])
            #expect(suggestions.json["emoji"] == .string("👋"))
            let limited = try await client.execute(uri: "/v1/catalog/stickers-for-emoji?emoji=\(Self.encoded("👋"))&limit=1", method: .get)
            #expect(Self.ids(limited) == ["w-hello"] && limited.json["total"] == .integer(2))
            for bad in ["", "?emoji=hi", "?emoji=\(Self.encoded("👋👋"))", "?emoji=\(Self.encoded("👋"))&limit=201", "?emoji=\(Self.encoded("👋"))&q=x"] {
                let refused = try await client.execute(uri: "/v1/catalog/stickers-for-emoji\(bad)", method: .get)
                #expect(refused.status == .badRequest, "\(bad): \(refused.text)")
            }

            let index = try await client.execute(uri: "/v1/catalog/emoji-index", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(index.status == .ok && index.headers[.contentEncoding] == "gzip")
            #expect(index.catalogVersion == before)
            var body = index.body
            let json = try JSONParser.parse(try body.decompress(with: .gzip()).readableBytesView)
            #expect(json["emojis"]?["👋"] == .array([.string("w-hello"), .string("w-wave")]))
            #expect(json["emojis"]?["☕"] == .array([.string("w-cafe")]))
            let eTag = try #require(index.headers[.eTag])
            #expect(try await client.execute(uri: "/v1/catalog/emoji-index", method: .get, headers: [.acceptEncoding: "gzip", .ifNoneMatch: eTag]).status == .notModified)

            // The changes feed says when to fetch it again.
            let write = try await PackUploads.create(client, id: "later", offset: 90)
            let version = try #require(write.catalogVersion)
            #expect(await components.snapshots.waitForVersion(version))
            let changes = try await client.execute(uri: "/v1/catalog/changes?since=\(before)", method: .get)
            #expect(changes.json["emojiIndexChanged"] == .bool(true))
            let unchanged = try await client.execute(uri: "/v1/catalog/changes?since=\(version)", method: .get)
            #expect(unchanged.json["emojiIndexChanged"] == .bool(false))
            let after = try await client.execute(uri: "/v1/catalog/emoji-index", method: .get, headers: [.acceptEncoding: "gzip", .ifNoneMatch: eTag])
            #expect(after.status == .ok)
        }
    }

    @Test func perLocaleKeywordsRoundTripThroughTheAdminDocument() async throws {
        try await TestService.run { client, components in
            _ = try await Self.publishWords(client, components)
            let read = try await client.execute(uri: "/v1/admin/packs/words", method: .get, headers: .admin())
            guard case .array(let stickers)? = read.json["stickers"] else { Issue.record("no stickers: \(read.text)"); return }
            #expect(stickers[0]["keywords"]?["zh-Hans"] == .array([.string("你好")]))
            #expect(stickers[1]["keywords"] == .array([.string("café")]))
            let put = try await client.execute(
                uri: "/v1/admin/packs/words", method: .put, headers: .admin([.contentType: "application/json", .ifMatch: "\"r1\""]), body: read.body
            )
            #expect(put.status == .ok, "\(put.text)")
            #expect(put.json["stickers"]?[0]?["keywords"] == read.json["stickers"]?[0]?["keywords"])
            let preview = try await client.execute(uri: "/admin/preview", method: .get, headers: .admin())
            #expect(preview.text.contains("zh-Hans: 你好"))
            // A locale's list keeps the flat list's rules, and the locale must be a tag.
            let bad = Self.manifest.replacingOccurrences(of: #""zh-Hans":["你好"]"#, with: #""zh_Hans":["你好"],"en-GB":"hi""#)
            let body = PackUploads.multipart(manifest: bad.replacingOccurrences(of: #""id":"words""#, with: #""id":"words-two""#), files: PackUploads.standardFiles(count: 3, offset: 40))
            let refused = try await client.execute(uri: "/v1/admin/packs", method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished))
            #expect(refused.status == .unprocessableContent, "\(refused.text)")
            #expect(refused.text.contains("stickers[0].keywords.zh_Hans") && refused.text.contains("stickers[0].keywords.en-GB"))
        }
    }

    @Test func theByteLaneAnswersWhatTheRouterAnswers() async throws {
        try await TestService.runLive(idleTimeout: nil) { port, client, components in
            _ = try await Self.publishWords(client, components)
            let lane = RawRoutesTests.lane(components)
            let tag = try #require(try await Self.search(client, "hello").headers[.eTag])
            var cases: [(String, Bool)] = []
            for target in [
                "/v1/catalog/search?q=hello", "/v1/catalog/search?q=\(Self.encoded("👋🏽 hello"))&locale=zh-Hans&limit=1",
                "/v1/catalog/search?q=wave#fragment", "/v1/catalog/stickers-for-emoji?emoji=\(Self.encoded("☕"))", "/v1/catalog/emoji-index",
            ] {
                for headers in [[], ["Accept-Encoding: gzip"], ["If-None-Match: \(tag)"]] {
                    cases.append((RawRoutesTests.request("GET", target, headers), true))
                }
                cases.append((RawRoutesTests.request("HEAD", target, []), true))
            }
            try await RawRoutesTests.expectSameAnswers(lane, port: port, cases)
            // Refusals are the router's.
            for target in ["/v1/catalog/search", "/v1/catalog/search?q=%zz", "/v1/catalog/stickers-for-emoji?emoji=x"] {
                #expect(try RawRoutesTests.raw(lane, RawRoutesTests.request("GET", target, [])) == nil, "\(target)")
            }
        }
    }
}

extension JSONValue {
    /// The element at `index` of an array, or nil when out of range or when this is not an array.
    subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}
