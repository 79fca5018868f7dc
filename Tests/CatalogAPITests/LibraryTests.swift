import CatalogAPI
import CatalogCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

@Suite("Each user's library: lists with caps and order, ETags and If-Match, availability, recents from webhooks")
struct LibraryTests {
    static let gateway: HTTPFields = [.authorization: "Bearer \(TestService.gatewayToken)"]

    static func headers(_ extra: [HTTPField.Name: String] = [:]) -> HTTPFields {
        var headers = gateway
        for (name, value) in extra { headers[name] = value }
        return headers
    }

    static func get(_ client: any TestClientProtocol, _ path: String, _ extra: [HTTPField.Name: String] = [:]) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get, headers: headers(extra))
    }

    static func send(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, _ extra: [HTTPField.Name: String] = [:], body: String? = nil) async throws -> TestResponse {
        var fields = headers(extra)
        if body != nil { fields[.contentType] = "application/json" }
        return try await client.execute(uri: path, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) })
    }

    static func ids(_ document: JSONValue?) -> [String] {
        guard case .array(let items)? = document?["items"] else { return [] }
        return items.compactMap { if case .string(let id)? = $0["id"] { id } else { nil } }
    }

    static func available(_ document: JSONValue?) -> [Bool] {
        guard case .array(let items)? = document?["items"] else { return [] }
        return items.compactMap { if case .bool(let flag)? = $0["available"] { flag } else { nil } }
    }

    /// Three published packs (`pa`, `pb`, `pc`) of three stickers each.
    static func seed(_ client: any TestClientProtocol, _ components: CatalogServiceComponents) async throws {
        for (index, id) in ["pa", "pb", "pc"].enumerated() {
            let response = try await PackUploads.create(client, id: id, count: 3, offset: index * 10)
            #expect(response.status == .created, "\(response.text)")
            #expect(await components.snapshots.waitForVersion(try #require(response.catalogVersion)))
        }
    }

    static let library = LibrarySettings(favoritesCap: 3, recentsCap: 4, packCap: 200, defaultPacks: nil)

    @Test func aNewUserHasTheDefaultPacksAndEmptyLists() async throws {
        try await TestService.run(library: Self.library) { client, components in
            try await Self.seed(client, components)
            let whole = try await Self.get(client, "/v1/users/u1/library")
            #expect(whole.status == .ok, "\(whole.text)")
            #expect(Self.ids(whole.json["installed"]) == ["pa", "pb", "pc"])
            #expect(Self.ids(whole.json["favorites"]).isEmpty && Self.ids(whole.json["recents"]).isEmpty && Self.ids(whole.json["hidden"]).isEmpty)
            #expect(whole.json["favorites"]?["cap"] == .integer(3))
            #expect(whole.headers[.cacheControl] == "private, no-cache")
            let eTag = try #require(whole.headers[.eTag])
            #expect(try await Self.get(client, "/v1/users/u1/library", [.ifNoneMatch: eTag]).status == .notModified)
            let list = try await Self.get(client, "/v1/users/u1/library/installed")
            #expect(list.json["list"] == .string("installed") && list.json["version"] == .integer(0))
            #expect(try await Self.get(client, "/v1/users/u1/library/stickers").status == .notFound)
        }
    }

    @Test func favoritesKeepTheirOrderAndCap() async throws {
        try await TestService.run(library: Self.library) { client, components in
            try await Self.seed(client, components)
            for id in ["pa-s0", "pb-s1", "pc-s2"] {
                let added = try await Self.send(client, .post, "/v1/users/u1/library/favorites/\(id)")
                #expect(added.status == .ok, "\(added.text)")
            }
            let list = try await Self.get(client, "/v1/users/u1/library/favorites")
            #expect(Self.ids(list.json) == ["pc-s2", "pb-s1", "pa-s0"])
            #expect(list.json["version"] == .integer(3))
            // Adding one already there changes nothing; a fourth is refused naming the cap.
            let again = try await Self.send(client, .post, "/v1/users/u1/library/favorites/pa-s0")
            #expect(again.status == .ok && again.json["version"] == .integer(3))
            let full = try await Self.send(client, .post, "/v1/users/u1/library/favorites/pa-s1")
            #expect(full.status == .conflict, "\(full.text)")
            #expect(full.headers[.contentType] == "application/problem+json" && full.text.contains("at most 3"))
            // Move, remove, and unknown or malformed ids refused by name.
            let moved = try await Self.send(client, .put, "/v1/users/u1/library/favorites/pa-s0/position?position=0")
            #expect(Self.ids(moved.json) == ["pa-s0", "pc-s2", "pb-s1"])
            #expect(try await Self.send(client, .put, "/v1/users/u1/library/favorites/pa-s2/position?position=0").status == .notFound)
            #expect(try await Self.send(client, .put, "/v1/users/u1/library/favorites/pa-s0/position?position=3").status == .unprocessableContent)
            let removed = try await Self.send(client, .delete, "/v1/users/u1/library/favorites/pc-s2")
            #expect(Self.ids(removed.json) == ["pa-s0", "pb-s1"])
            let unknown = try await Self.send(client, .post, "/v1/users/u1/library/favorites/nope-s9")
            #expect(unknown.status == .unprocessableContent && unknown.text.contains("nope-s9"))
            #expect(try await Self.send(client, .post, "/v1/users/u1/library/favorites/BAD%20ID").status == .unprocessableContent)
        }
    }

    @Test func installedPacksFollowTheUsersOrderAndHidingUninstalls() async throws {
        try await TestService.run(library: Self.library) { client, components in
            try await Self.seed(client, components)
            let moved = try await Self.send(client, .put, "/v1/users/u2/library/installed/pc/position?position=0")
            #expect(Self.ids(moved.json) == ["pc", "pa", "pb"])
            let hidden = try await Self.send(client, .post, "/v1/users/u2/library/hidden/pa")
            #expect(Self.ids(hidden.json) == ["pa"])
            #expect(Self.ids(try await Self.get(client, "/v1/users/u2/library/installed").json) == ["pc", "pb"])
            let reinstalled = try await Self.send(client, .post, "/v1/users/u2/library/installed/pa?position=1")
            #expect(Self.ids(reinstalled.json) == ["pc", "pa", "pb"])
            #expect(Self.ids(try await Self.get(client, "/v1/users/u2/library/hidden").json).isEmpty)
            // Stickers are not packs.
            #expect(try await Self.send(client, .post, "/v1/users/u2/library/installed/pa-s0").status == .unprocessableContent)
        }
    }

    @Test func wholeListsAreReplacedOnlyWithTheirCurrentETag() async throws {
        try await TestService.run(library: Self.library) { client, components in
            try await Self.seed(client, components)
            let read = try await Self.get(client, "/v1/users/u3/library/favorites")
            let eTag = try #require(read.headers[.eTag])
            let body = #"{"items":["pa-s0","pb-s0"]}"#
            #expect(try await Self.send(client, .put, "/v1/users/u3/library/favorites", body: body).status == .preconditionRequired)
            // Two devices write from the same read: one wins, the other is told.
            async let first = Self.send(client, .put, "/v1/users/u3/library/favorites", [.ifMatch: eTag], body: body)
            async let second = Self.send(client, .put, "/v1/users/u3/library/favorites", [.ifMatch: eTag], body: #"{"items":["pc-s0"]}"#)
            let statuses = [try await first.status, try await second.status].map(\.code).sorted()
            #expect(statuses == [200, 412])
            let now = try await Self.get(client, "/v1/users/u3/library/favorites")
            #expect([["pa-s0", "pb-s0"], ["pc-s0"]].contains(Self.ids(now.json)))
            // The document read is written back unchanged (read-only members ignored), and changes nothing.
            let putBack = try await client.execute(
                uri: "/v1/users/u3/library/favorites", method: .put,
                headers: Self.headers([.ifMatch: try #require(now.headers[.eTag]), .contentType: "application/json"]), body: now.body
            )
            #expect(putBack.status == .ok, "\(putBack.text)")
            #expect(putBack.json == now.json)
            // Refused by name: unknown members, repeated ids, unknown ids, more than the cap.
            let tag = try #require(putBack.headers[.eTag])
            for (document, status, named) in [
                (#"{"items":["pa-s0"],"colour":1}"#, 422, "colour"),
                (#"{"items":[{"id":"pa-s0","note":"x"}]}"#, 422, "items[0].note"),
                (#"{"items":["pa-s0","pa-s0"]}"#, 422, "items[1]"),
                (#"{"items":["pa-s0","zz-s0"]}"#, 422, "items[1]"),
                (#"{"items":["pa-s0","pa-s1","pa-s2","pb-s0"]}"#, 409, "favorites"),
                (#"{"items":"pa-s0"}"#, 422, "items"),
                ("not json", 400, "body"),
            ] {
                let refused = try await Self.send(client, .put, "/v1/users/u3/library/favorites", [.ifMatch: tag], body: document)
                #expect(refused.status.code == status, "\(document): \(refused.text)")
                #expect(refused.text.contains("\"\(named)\""), "\(document): \(refused.text)")
            }
            #expect(try await Self.get(client, "/v1/users/u3/library/favorites").json == now.json)
        }
    }

    /// A user's first changes, made at once from several devices, queue on the row the first of them creates: none
    /// is lost (a user seen before skips the insert, so this is the one path where the row does not exist yet).
    @Test func concurrentFirstChangesOfANewUserAreAllKept() async throws {
        try await TestService.run(library: Self.library) { client, components in
            try await Self.seed(client, components)
            let stickers = ["pa-s0", "pb-s1", "pc-s2"]
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for sticker in stickers {
                    group.addTask { try await Self.send(client, .post, "/v1/users/brand-new/library/favorites/\(sticker)").status.code }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { (200...201).contains($0) }, "\(statuses)")
            let favorites = try await Self.get(client, "/v1/users/brand-new/library/favorites")
            #expect(Set(Self.ids(favorites.json)) == Set(stickers))
            #expect(favorites.json["version"] == .integer(3))
        }
    }

    @Test func archivedPacksStayMarkedUnavailable() async throws {
        try await TestService.run(library: Self.library) { client, components in
            try await Self.seed(client, components)
            _ = try await Self.send(client, .post, "/v1/users/u4/library/favorites/pb-s1")
            _ = try await Self.send(client, .post, "/v1/users/u4/library/favorites/pa-s0")
            let before = try await Self.get(client, "/v1/users/u4/library")
            let archived = try await client.execute(uri: "/v1/admin/packs/pb", method: .delete, headers: .admin())
            #expect(await components.snapshots.waitForVersion(try #require(archived.catalogVersion)))
            let after = try await Self.get(client, "/v1/users/u4/library", [.ifNoneMatch: try #require(before.headers[.eTag])])
            #expect(after.status == .ok)
            // Their first change fixed the installed set, so the archived pack stays in it too, marked.
            #expect(Self.ids(after.json["installed"]) == ["pa", "pb", "pc"])
            #expect(Self.available(after.json["installed"]) == [true, false, true])
            #expect(Self.ids(after.json["favorites"]) == ["pa-s0", "pb-s1"])
            #expect(Self.available(after.json["favorites"]) == [true, false])
            // Still removable, and the list stays writable with it in.
            let list = try await Self.get(client, "/v1/users/u4/library/favorites")
            let putBack = try await client.execute(
                uri: "/v1/users/u4/library/favorites", method: .put,
                headers: Self.headers([.ifMatch: try #require(list.headers[.eTag]), .contentType: "application/json"]), body: list.body
            )
            #expect(putBack.status == .ok, "\(putBack.text)")
            #expect(Self.ids(try await Self.send(client, .delete, "/v1/users/u4/library/favorites/pb-s1").json) == ["pa-s0"])
            // A pack moved to the top and then archived stays at the top, unavailable; a user who never changed
            // anything follows the catalog's default set, which no longer has it.
            _ = try await Self.send(client, .put, "/v1/users/u5/library/installed/pc/position?position=0")
            let archivedC = try await client.execute(uri: "/v1/admin/packs/pc", method: .delete, headers: .admin())
            #expect(await components.snapshots.waitForVersion(try #require(archivedC.catalogVersion)))
            let installed = try await Self.get(client, "/v1/users/u5/library/installed")
            // (pb was archived above, so u5's set was fixed as pa, pc.)
            #expect(Self.ids(installed.json) == ["pc", "pa"] && Self.available(installed.json) == [false, true])
            #expect(Self.ids(try await Self.get(client, "/v1/users/u9/library/installed").json) == ["pa"])
        }
    }

    @Test func recentsFeedThemselvesFromAfterSendWebhooksOncePerMessage() async throws {
        try await TestService.run(library: Self.library) { client, components in
            try await Self.seed(client, components)
            let command = "callbackAfterSendGroupMsgCommand"
            var contents: [String: String] = [:]
            for id in ["pa-s0", "pa-s1", "pb-s0", "pb-s1", "pc-s0"] { contents[id] = try await WebhookTests.stickerContent(client, id) }
            func sent(_ user: String, _ sticker: String, message: String) async throws {
                let body = WebhookTests.callback(command, contentType: 110, content: try #require(contents[sticker]), serverMsgID: message)
                    .replacingOccurrences(of: #""sendID":"user_001""#, with: #""sendID":"\#(user)""#)
                WebhookTests.expectReply(try await WebhookTests.send(client, command, body), rejectCode: nil)
            }
            try await sent("u6", "pa-s0", message: "m1")
            try await sent("u6", "pa-s1", message: "m2")
            try await sent("u6", "pa-s1", message: "m2")  // OpenIM reporting the same message again
            try await sent("u6", "pa-s0", message: "m3")
            try await sent("u7", "pb-s0", message: "m4")
            try await components.usage.flush()
            #expect(Self.ids(try await Self.get(client, "/v1/users/u6/library/recents").json) == ["pa-s0", "pa-s1"])
            #expect(Self.ids(try await Self.get(client, "/v1/users/u7/library/recents").json) == ["pb-s0"])
            // The same messages reported after the flush are not counted again; new ones go to the front, the
            // oldest drop off at the cap (4).
            try await sent("u6", "pa-s1", message: "m2")
            for (index, sticker) in ["pb-s0", "pb-s1", "pc-s0"].enumerated() { try await sent("u6", sticker, message: "n\(index)") }
            try await components.usage.flush()
            let recents = try await Self.get(client, "/v1/users/u6/library/recents")
            #expect(Self.ids(recents.json) == ["pc-s0", "pb-s1", "pb-s0", "pa-s0"])
        }
    }

    @Test func aUsersLibraryIsExportedAndDeleted() async throws {
        try await TestService.run(library: Self.library) { client, components in
            try await Self.seed(client, components)
            _ = try await Self.send(client, .post, "/v1/users/u8/library/favorites/pa-s0")
            let export = try await Self.get(client, "/v1/users/u8/library/export")
            #expect(export.status == .ok)
            #expect(export.json["format"] == .string("catalog-service.library.v1"))
            #expect(Self.ids(export.json["library"]?["favorites"]) == ["pa-s0"])
            #expect(export.json["library"]?["userId"] == .string("u8"))
            #expect(try await Self.send(client, .delete, "/v1/users/u8/library").status == .noContent)
            let gone = try await Self.get(client, "/v1/users/u8/library/favorites")
            #expect(Self.ids(gone.json).isEmpty && gone.json["version"] == .integer(0))
        }
    }

    @Test func onlyTheGatewayTokenReachesLibraries() async throws {
        try await TestService.run(library: Self.library) { client, _ in
            let anonymous = try await client.execute(uri: "/v1/users/u1/library", method: .get)
            #expect(anonymous.status == .unauthorized)
            let admin = try await client.execute(uri: "/v1/users/u1/library", method: .get, headers: .admin())
            #expect(admin.status == .forbidden)
            let adminWrite = try await client.execute(uri: "/v1/users/u1/library/favorites/pa-s0", method: .post, headers: .admin())
            #expect(adminWrite.status == .forbidden)
            let badUser = try await Self.get(client, "/v1/users/bad%20user/library")
            #expect(badUser.status == .badRequest)
            // Ids are percent-decoded as any path segment: alice%40example.com is alice@example.com.
            let encoded = try await Self.get(client, "/v1/users/alice%40example.com/library")
            #expect(encoded.status == .ok && encoded.json["userId"] == .string("alice@example.com"), "\(encoded.text)")
        }
    }
}
