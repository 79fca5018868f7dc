import CatalogAPI
import CatalogCore
import CatalogStore
import CatalogTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

@Suite("Admins upload packs by multipart and zip; every write is all-or-nothing")
struct PackUploadTests {
    @Test func createByMultipartThenRead() async throws {
        try await TestService.run { client, components in
            let response = try await PackUploads.create(client, id: "cats")
            #expect(response.status == .created, "\(response.text)")
            #expect(response.headers[.location] == "/v1/admin/packs/cats")
            #expect(response.headers[.eTag] == "\"r1\"")
            let version = try #require(response.catalogVersion)
            #expect(version == 1)
            let json = response.json
            #expect(json["id"] == .string("cats"))
            #expect(json["status"] == .string("published"))
            #expect(json["catalogVersion"] == .integer(1))
            guard case .array(let stickers)? = json["stickers"] else { Issue.record("no stickers"); return }
            #expect(stickers.count == 2)
            #expect(stickers[0]["id"] == .string("cats-s0"))
            #expect(stickers[0]["mime"] == .string("image/png"))
            #expect(stickers[0]["url"] == .string("https://cdn.example.com/v1/assets/\(PackAssembler.sha256Hex(PackUploads.image(0))).png"))

            let read = try await client.execute(uri: "/v1/admin/packs/cats", method: .get, headers: .admin())
            #expect(read.status == .ok)
            #expect(read.headers[.eTag] == "\"r1\"")

            #expect(await components.snapshots.waitForVersion(version))
            let catalog = try await client.execute(uri: "/v1/catalog", method: .get)
            #expect(catalog.text.contains("\"cats-s1\""))

            let duplicate = try await PackUploads.create(client, id: "cats")
            #expect(duplicate.status == .conflict)
            #expect(duplicate.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func createByZipWithAFolder() async throws {
        try await TestService.run { client, _ in
            let manifest = PackUploads.manifest(id: "zipped", count: 3)
            var entries = [ZipFactory.Entry(name: "zipped/manifest.json", bytes: Array(manifest.utf8))]
            for (name, bytes) in PackUploads.standardFiles(count: 3) { entries.append(.init(name: "zipped/\(name)", bytes: bytes)) }
            entries.append(.init(name: "__MACOSX/._tray.png", bytes: [0, 1, 2]))
            let response = try await client.execute(
                uri: "/v1/admin/packs", method: .post, headers: .admin([.contentType: "application/zip"]), body: ByteBuffer(bytes: ZipFactory.archive(entries))
            )
            #expect(response.status == .created, "\(response.text)")
            guard case .array(let stickers)? = response.json["stickers"] else { Issue.record("no stickers"); return }
            #expect(stickers.count == 3)
        }
    }

    @Test func aDocumentReadCanBePutBackUnchanged() async throws {
        try await TestService.run { client, _ in
            _ = try await PackUploads.create(client, id: "roundtrip")
            let read = try await client.execute(uri: "/v1/admin/packs/roundtrip", method: .get, headers: .admin())
            let put = try await client.execute(
                uri: "/v1/admin/packs/roundtrip", method: .put, headers: .admin([.contentType: "application/json", .ifMatch: "\"r1\""]), body: read.body
            )
            #expect(put.status == .ok, "\(put.text)")
            #expect(put.headers[.eTag] == "\"r2\"")
            var before = read.json, after = put.json
            for key in ["revision", "updatedAt", "catalogVersion"] {
                if case .object(let members) = before { before = .object(members.filter { $0.key != key }) }
                if case .object(let members) = after { after = .object(members.filter { $0.key != key }) }
            }
            #expect(before == after)
        }
    }

    @Test(arguments: [
        ("unknown field", #", "colour":"red""#, "colour"),
        ("bad status", #", "status":"live""#, "status"),
    ])
    func manifestProblemsNameTheField(name: String, extra: String, field: String) async throws {
        try await TestService.run { client, _ in
            var manifest = PackUploads.manifest(id: "bad")
            manifest = manifest.replacingOccurrences(of: #""status":"published""#, with: #""status":"draft""#)
            manifest = String(manifest.dropLast()) + extra.replacingOccurrences(of: ", ", with: ",") + "}"
            if field == "status" { manifest = manifest.replacingOccurrences(of: #""status":"draft","#, with: "") }
            let body = PackUploads.multipart(manifest: manifest, files: PackUploads.standardFiles(count: 2))
            let response = try await client.execute(uri: "/v1/admin/packs", method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished))
            #expect(response.status == .unprocessableContent, "\(response.text)")
            #expect(response.text.contains("\"field\":\"\(field)\""))
        }
    }

    /// Every refusal leaves the database exactly as it was.
    @Test(arguments: [
        ("svg renamed png", 422),
        ("declared type contradicts bytes", 422),
        ("truncated image", 422),
        ("too large a side", 422),
        ("missing file part", 422),
        ("missing manifest", 400),
        ("duplicated part", 400),
        ("no closing boundary", 400),
        ("empty body", 400),
        ("plain text", 415),
        ("malformed manifest", 400),
        ("polyglot gif", 422),
    ])
    func refusedUploadsStoreNothing(scenario: String, status: Int) async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { client, _ in
            _ = try await PackUploads.create(client, id: "existing")
            let before = try await TestService.counts(database)
            var files = PackUploads.standardFiles(count: 2)
            var manifest = PackUploads.manifest(id: "fresh")
            var contentType: String?
            var raw: [UInt8]?
            switch scenario {
            case "svg renamed png": files[1].1 = Array("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".utf8)
            case "declared type contradicts bytes": files[2].0 = "s1.png"; files[2].1 = ImageFactory.gif(width: 64, height: 64)
            case "truncated image": files[1].1 = Array(files[1].1.prefix(files[1].1.count - 30))
            case "too large a side": files[1].1 = ImageFactory.png(width: 100_000, height: 100_000, pixels: false)
            case "missing file part": files.removeLast()
            case "malformed manifest": manifest = "{\"id\": \"fresh\", "
            case "polyglot gif": files[1].1 = ImageFactory.gif(width: 64, height: 64) + Array("<html><script>alert(1)</script></html>".utf8)
            default: break
            }
            var body = PackUploads.multipart(manifest: manifest, files: files)
            switch scenario {
            case "missing manifest":
                body = MultipartBody()
                for (name, bytes) in files { body.addFile(name, bytes) }
            case "duplicated part": body.addFile("s0.png", PackUploads.image(0))
            case "no closing boundary": raw = body.bytes
            case "empty body": raw = []
            case "plain text": contentType = "text/plain"; raw = Array("hello".utf8)
            default: break
            }
            let response = try await client.execute(
                uri: "/v1/admin/packs", method: .post, headers: .admin([.contentType: contentType ?? body.contentType]),
                body: ByteBuffer(bytes: raw ?? body.finished)
            )
            #expect(Int(response.status.code) == status, "\(scenario): \(response.text)")
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(try await TestService.counts(database) == before, "\(scenario) changed the database")
        }
    }

    @Test func aFailureAtTheFortiethImageLeavesNothingBehind() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { client, _ in
            let before = try await TestService.counts(database)
            var files = PackUploads.standardFiles(count: 41)
            files[40].1 = Array(files[40].1.prefix(50))
            let body = PackUploads.multipart(manifest: PackUploads.manifest(id: "big", count: 41), files: files)
            let response = try await client.execute(uri: "/v1/admin/packs", method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished))
            #expect(response.status == .unprocessableContent)
            #expect(response.text.contains("s39.png"))
            #expect(try await TestService.counts(database) == before)
        }
    }

    @Test func aStickerIdTakenByAnotherPackIsAConflict() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { client, _ in
            _ = try await PackUploads.create(client, id: "first")
            let before = try await TestService.counts(database)
            let manifest = PackUploads.manifest(id: "second").replacingOccurrences(of: "second-s1", with: "first-s1")
            let body = PackUploads.multipart(manifest: manifest, files: PackUploads.standardFiles(count: 2, offset: 50))
            let response = try await client.execute(uri: "/v1/admin/packs", method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished))
            #expect(response.status == .conflict)
            #expect(response.text.contains("first-s1"))
            #expect(try await TestService.counts(database) == before)
        }
    }

    /// On a raw connection of its own, sending and reading at once: the suite's client writes the whole body before
    /// it reads, and its 20 s read timeout passed in a loaded parallel run (run 15 of the fifth 30-run attempt).
    @Test func oversizedBodiesAre413() async throws {
        try await TestService.runLive(idleTimeout: .seconds(30)) { port, _, _ in
            var body = PackUploads.multipart(manifest: PackUploads.manifest(id: "huge"), files: PackUploads.standardFiles(count: 2))
            body.addFile("filler.bin", [UInt8](repeating: 7, count: CatalogLimits.maximumUploadBytes))
            let head = "POST /v1/admin/packs HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(TestService.adminToken)\r\nContent-Type: \(body.contentType)\r\n"
                + "Content-Length: \(body.finished.count)\r\n\r\n"
            let raw = try RawHTTP(port: port)
            let upload = Array(head.utf8) + body.finished
            // The server may answer and close before the body is all sent: the sender's error is expected then.
            Thread { try? raw.sendBlocking(upload) }.start()
            let answer = try await RawHTTP.offThread { try raw.readOneResponse() }
            #expect(answer.status == 413)
            #expect(answer.header("content-type") == "application/problem+json")
        }
    }

    @Test func identicalImagesAcrossPacksAreStoredOnce() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { client, _ in
            let one = try await PackUploads.create(client, id: "one")
            let two = try await PackUploads.create(client, id: "two")
            #expect(one.status == .created && two.status == .created)
            // Same tray and two same sticker images: 3 distinct images in all, each with its thumbnail.
            let counts = try await TestService.counts(database)
            #expect(counts.assets == 6)
            #expect(try await TestService.query(database, "SELECT count(*) FROM assets WHERE thumbnail_sha256 IS NOT NULL", as: Int64.self) == [3])
            #expect(counts.stickers == 4)
        }
    }

    @Test func ifMatchGuardsEveryWrite() async throws {
        try await TestService.run { client, _ in
            _ = try await PackUploads.create(client, id: "guarded")
            let patch = ByteBuffer(string: #"{"title":{"fr":"Gardé"}}"#)
            let stale = try await client.execute(uri: "/v1/admin/packs/guarded", method: .patch, headers: .admin([.contentType: "application/merge-patch+json", .ifMatch: "\"r9\""]), body: patch)
            #expect(stale.status == .preconditionFailed)
            #expect(stale.headers[.eTag] == "\"r1\"")
            let weak = try await client.execute(uri: "/v1/admin/packs/guarded", method: .patch, headers: .admin([.contentType: "application/json", .ifMatch: "W/\"r1\""]), body: patch)
            #expect(weak.status == .preconditionFailed)
            let fresh = try await client.execute(uri: "/v1/admin/packs/guarded", method: .patch, headers: .admin([.contentType: "application/json", .ifMatch: "\"r0\", \"r1\""]), body: patch)
            #expect(fresh.status == .ok)
            #expect(fresh.json["title"]?["fr"] == .string("Gardé"))
            #expect(fresh.headers[.eTag] == "\"r2\"")
            let archive = try await client.execute(uri: "/v1/admin/packs/guarded", method: .delete, headers: .admin([.ifMatch: "\"r1\""]))
            #expect(archive.status == .preconditionFailed)
            let noCondition = try await client.execute(uri: "/v1/admin/packs/guarded", method: .delete, headers: .admin())
            #expect(noCondition.status == .ok)
            #expect(noCondition.json["status"] == .string("archived"))
        }
    }

    /// Each PATCH on a connection of its own, so the service really runs them at once (through the suite's
    /// one-connection client they were answered one after another, and in a loaded run the last waited past its
    /// read timeout).
    @Test func concurrentPatchesWithOneETagHaveOneWinner() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.runLive(database: database, idleTimeout: nil) { port, client, _ in
            _ = try await PackUploads.create(client, id: "contested")
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let body = #"{"publisher":"writer \#(index)"}"#
                        let request = "PATCH /v1/admin/packs/contested HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(TestService.adminToken)\r\n"
                            + "Content-Type: application/json\r\nIf-Match: \"r1\"\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
                        // A 503 (no pooled connection within 15 s in a loaded run: fifty writers on a pool of five)
                        // is load shedding; retried as a client would, it can only be a 412 now.
                        var status = HTTPResponse.Status(code: 0)
                        for attempt in 0..<4 {
                            if attempt > 0 { try await Task.sleep(for: .seconds(1)) }
                            let answer = try await RawHTTP.exchange(port: port, Array(request.utf8))
                            status = HTTPResponse.Status(code: Int(answer.dropFirst(9).prefix(3)) ?? 0)
                            guard status == .serviceUnavailable else { break }
                        }
                        return status
                    }
                }
                var statuses: [HTTPResponse.Status] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
            #expect(statuses.filter { $0 == .ok }.count == 1, "\(statuses.map(\.code))")
            #expect(statuses.filter { $0 == .preconditionFailed }.count == 49, "\(statuses.map(\.code))")
            #expect(try await TestService.query(database, "SELECT revision FROM sticker_packs WHERE id = 'contested'", as: Int.self) == [2])
        }
    }

    @Test func stickersAreAddedRemovedAndReordered() async throws {
        try await TestService.run { client, components in
            _ = try await PackUploads.create(client, id: "edit", count: 3)
            var add = MultipartBody()
            add.add(name: "sticker", contentType: "application/json", Array(#"{"id":"edit-new","file":"new.png","emojis":["🎉"]}"#.utf8))
            add.addFile("new.png", PackUploads.image(90))
            let added = try await client.execute(uri: "/v1/admin/packs/edit/stickers", method: .post, headers: .admin([.contentType: add.contentType]), body: ByteBuffer(bytes: add.finished))
            #expect(added.status == .ok, "\(added.text)")
            let order = ["edit-new", "edit-s2", "edit-s0", "edit-s1"]
            let reordered = try await client.execute(
                uri: "/v1/admin/packs/edit/stickers/order", method: .put, headers: .admin([.contentType: "application/json"]),
                body: ByteBuffer(string: "[\"" + order.joined(separator: "\",\"") + "\"]")
            )
            #expect(reordered.status == .ok, "\(reordered.text)")
            guard case .array(let stickers)? = reordered.json["stickers"] else { Issue.record("no stickers"); return }
            #expect(stickers.map { $0["id"] } == order.map { .string($0) })
            let notPermutation = try await client.execute(
                uri: "/v1/admin/packs/edit/stickers/order", method: .put, headers: .admin([.contentType: "application/json"]), body: ByteBuffer(string: #"["edit-new","edit-s2"]"#)
            )
            #expect(notPermutation.status == .unprocessableContent)
            let removed = try await client.execute(uri: "/v1/admin/packs/edit/stickers/edit-s2", method: .delete, headers: .admin())
            #expect(removed.status == .ok)
            #expect(removed.headers[.eTag] == "\"r4\"")
            let missing = try await client.execute(uri: "/v1/admin/packs/edit/stickers/edit-s2", method: .delete, headers: .admin())
            #expect(missing.status == .notFound)
            let version = try #require(removed.catalogVersion)
            #expect(await components.snapshots.waitForVersion(version))
            #expect(components.snapshots.current?.stickers["edit-s2"] == nil)
            #expect(components.snapshots.current?.stickers["edit-new"] != nil)
        }
    }

    @Test func addedStickersFollowThePacksAnimationAsUploadsDo() async throws {
        try await TestService.run { client, _ in
            func add(_ pack: String, _ id: String, _ file: String, _ bytes: [UInt8]) async throws -> TestResponse {
                var body = MultipartBody()
                body.add(name: "sticker", contentType: "application/json", Array(#"{"id":"\#(id)","file":"\#(file)","emojis":["🎉"]}"#.utf8))
                body.addFile(file, bytes)
                return try await client.execute(uri: "/v1/admin/packs/\(pack)/stickers", method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished))
            }
            let moving = ImageFactory.webpAnimated(width: 256, height: 256, frames: 3)
            #expect(try await PackUploads.create(client, id: "still", count: 1).status == .created)
            let refused = try await add("still", "still-moving", "moving.webp", moving)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("is animated but pack still is marked static"), "\(refused.text)")
            // A mixed pack (animated ones and still ones) takes both, as its upload did.
            let manifest = #"{"id":"mixed","title":{"en":"Mixed"},"publisher":"Tests","tray":"tray.png","status":"published","stickers":[{"id":"mixed-a","file":"a.webp","emojis":["😀"]},{"id":"mixed-b","file":"b.png","emojis":["😀"]}]}"#
            let body = PackUploads.multipart(manifest: manifest, files: [("tray.png", PackUploads.tray), ("a.webp", moving), ("b.png", PackUploads.image(5))])
            let mixed = try await client.execute(uri: "/v1/admin/packs", method: .post, headers: .admin([.contentType: body.contentType]), body: ByteBuffer(bytes: body.finished))
            #expect(mixed.status == .created, "\(mixed.text)")
            #expect(try await add("mixed", "mixed-c", "c.png", PackUploads.image(6)).status == .ok)
            #expect(try await add("mixed", "mixed-d", "d.webp", ImageFactory.webpAnimated(width: 128, height: 128, frames: 2)).status == .ok)
        }
    }

    @Test func packOrderAndListingWithCursors() async throws {
        try await TestService.run { client, _ in
            for (index, id) in ["aa", "bb", "cc"].enumerated() { _ = try await PackUploads.create(client, id: id, count: 1, offset: index * 10) }
            let order = try await client.execute(uri: "/v1/admin/packs/order", method: .put, headers: .admin([.contentType: "application/json"]), body: ByteBuffer(string: #"["cc","aa"]"#))
            #expect(order.status == .ok, "\(order.text)")
            #expect(order.json["order"] == .array([.string("cc"), .string("aa"), .string("bb")]))
            let first = try await client.execute(uri: "/v1/admin/packs?limit=2", method: .get, headers: .admin())
            guard case .array(let items)? = first.json["items"], case .string(let cursor)? = first.json["nextCursor"] else { Issue.record("no page"); return }
            #expect(items.map { $0["id"] } == [.string("cc"), .string("aa")])
            let second = try await client.execute(uri: "/v1/admin/packs?limit=2&cursor=\(cursor)", method: .get, headers: .admin())
            guard case .array(let rest)? = second.json["items"] else { Issue.record("no page"); return }
            #expect(rest.map { $0["id"] } == [.string("bb")])
            #expect(second.json["nextCursor"] == nil || second.json["nextCursor"] == .null)
            let unknown = try await client.execute(uri: "/v1/admin/packs/order", method: .put, headers: .admin([.contentType: "application/json"]), body: ByteBuffer(string: #"["zz"]"#))
            #expect(unknown.status == .unprocessableContent)
            let badLimit = try await client.execute(uri: "/v1/admin/packs?limit=0", method: .get, headers: .admin())
            #expect(badLimit.status == .badRequest)
            let audit = try await client.execute(uri: "/v1/admin/audit?limit=2", method: .get, headers: .admin())
            guard case .array(let entries)? = audit.json["items"] else { Issue.record("no audit"); return }
            #expect(entries.first?["action"] == .string("pack.reorder"))
            #expect(entries.first?["actor"] == .string("admin"))
        }
    }

    @Test func tokensAreCheckedOnEveryAdminRoute() async throws {
        try await TestService.run { client, _ in
            let routes: [(String, HTTPRequest.Method)] = [
                ("/v1/admin/packs", .post), ("/v1/admin/packs", .get), ("/v1/admin/packs/x1", .get), ("/v1/admin/packs/x1", .put),
                ("/v1/admin/packs/x1", .patch), ("/v1/admin/packs/x1", .delete), ("/v1/admin/packs/x1/stickers", .post),
                ("/v1/admin/packs/x1/stickers/order", .put), ("/v1/admin/packs/x1/stickers/s1", .delete), ("/v1/admin/packs/order", .put),
                ("/v1/admin/audit", .get),
            ]
            for (uri, method) in routes {
                let none = try await client.execute(uri: uri, method: method)
                #expect(none.status == .unauthorized, "\(method) \(uri)")
                #expect(none.headers[.wwwAuthenticate] != nil)
                let wrong = try await client.execute(uri: uri, method: method, headers: [.authorization: "Bearer \(TestService.adminToken)x"])
                #expect(wrong.status == .unauthorized, "\(method) \(uri)")
                let gateway = try await client.execute(uri: uri, method: method, headers: [.authorization: "Bearer \(TestService.gatewayToken)"])
                #expect(gateway.status == .forbidden, "\(method) \(uri)")
                let basic = try await client.execute(uri: uri, method: method, headers: [.authorization: "Basic YWRtaW46YWRtaW4="])
                #expect(basic.status == .unauthorized, "\(method) \(uri)")
            }
        }
    }
}
