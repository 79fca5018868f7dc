import CatalogAPI
import CatalogTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

/// One hostile request and the kind of refusal it must get.
struct BadInput: Sendable, CustomStringConvertible {
    var name: String
    var method: HTTPRequest.Method
    var uri: String
    var headers: HTTPFields
    var body: [UInt8]
    var description: String { name }
}

@Suite("Bad input: a table of hostile requests, each a 4xx problem+json that changes nothing")
struct BadInputCorpusTests {
    static let gatewayJSON: HTTPFields = [.authorization: "Bearer \(TestService.gatewayToken)", .contentType: "application/json"]
    static func adminJSON(_ type: String = "application/json", ifMatch: String? = nil) -> HTTPFields {
        var headers = HTTPFields.admin([.contentType: type])
        if let ifMatch { headers[.ifMatch] = ifMatch }
        return headers
    }

    static func json(_ name: String, _ method: HTTPRequest.Method, _ uri: String, _ body: String, headers: HTTPFields = adminJSON()) -> BadInput {
        BadInput(name: name, method: method, uri: uri, headers: headers, body: Array(body.utf8))
    }

    static func multipart(_ name: String, manifest: String = PackUploads.manifest(id: "evil"), files: [(String, [UInt8])] = PackUploads.standardFiles(count: 2)) -> BadInput {
        let body = PackUploads.multipart(manifest: manifest, files: files)
        return BadInput(name: name, method: .post, uri: "/v1/admin/packs", headers: .admin([.contentType: body.contentType]), body: body.finished)
    }

    static func rawMultipart(_ name: String, _ body: [UInt8]) -> BadInput {
        BadInput(name: name, method: .post, uri: "/v1/admin/packs", headers: .admin([.contentType: "multipart/form-data; boundary=b"]), body: body)
    }

    static func rawMultipart(_ name: String, _ body: String) -> BadInput { rawMultipart(name, Array(body.utf8)) }

    static func zip(_ name: String, _ entries: [ZipFactory.Entry]) -> BadInput {
        BadInput(name: name, method: .post, uri: "/v1/admin/packs", headers: .admin([.contentType: "application/zip"]), body: ZipFactory.archive(entries))
    }

    static func manifestEntry(_ id: String = "zipped", files: Int = 1) -> ZipFactory.Entry {
        ZipFactory.Entry(name: "manifest.json", bytes: Array(PackUploads.manifest(id: id, count: files).utf8))
    }

    static func withFile(_ index: Int, _ bytes: [UInt8]) -> [(String, [UInt8])] {
        var files = PackUploads.standardFiles(count: 2)
        files[index].1 = bytes
        return files
    }

    static var corpus: [BadInput] {
        let long = String(repeating: "x", count: 10_000)
        let valid = PackUploads.manifest(id: "evil")
        var cases: [BadInput] = [
            // Pack manifests sent as JSON.
            json("malformed JSON", .post, "/v1/admin/packs", "{\"id\": \"evil\", "),
            json("truncated JSON", .post, "/v1/admin/packs", String(valid.prefix(valid.count / 2))),
            json("JSON array instead of object", .post, "/v1/admin/packs", "[1,2,3]"),
            json("id is a number", .post, "/v1/admin/packs", valid.replacingOccurrences(of: #""id":"evil""#, with: #""id":42"#)),
            json("unknown field", .post, "/v1/admin/packs", valid.replacingOccurrences(of: #""id":"evil""#, with: #""id":"evil","owner":"me""#)),
            BadInput(name: "invalid UTF-8", method: .post, uri: "/v1/admin/packs", headers: adminJSON(), body: Array(#"{"id":"evil","title":{"en":""#.utf8) + [0xC3, 0x28, 0xFF] + Array(#""}}"#.utf8)),
            json("control character in title", .post, "/v1/admin/packs", valid.replacingOccurrences(of: "Pack evil", with: "Pack\\u0007evil")),
            json("10 kB title", .post, "/v1/admin/packs", valid.replacingOccurrences(of: "Pack evil", with: long)),
            json("10 kB id", .post, "/v1/admin/packs", valid.replacingOccurrences(of: #""id":"evil""#, with: #""id":"\#(long)""#)),
            json("10 kB sticker id", .post, "/v1/admin/packs", valid.replacingOccurrences(of: "evil-s0", with: long)),
            json("negative position", .post, "/v1/admin/packs", valid.replacingOccurrences(of: #""id":"evil""#, with: #""id":"evil","position":-1"#)),
            json("overflowing position", .post, "/v1/admin/packs", valid.replacingOccurrences(of: #""id":"evil""#, with: #""id":"evil","position":1e400"#)),
            json("huge integer position", .post, "/v1/admin/packs", valid.replacingOccurrences(of: #""id":"evil""#, with: #""id":"evil","position":99999999999999999999999"#)),
            json("SQL in the id", .post, "/v1/admin/packs", valid.replacingOccurrences(of: #""id":"evil""#, with: #""id":"x'); DROP TABLE sticker_packs; --""#)),
            json("HTML in the id", .post, "/v1/admin/packs", valid.replacingOccurrences(of: #""id":"evil""#, with: #""id":"<script>alert(1)</script>""#)),
            json("emoji that is not one", .post, "/v1/admin/packs", valid.replacingOccurrences(of: "😀", with: "abc")),
            json("no stickers", .post, "/v1/admin/packs", valid.replacingOccurrences(of: #""stickers":["#, with: #""stickers":[],"x":["#)),
            json("nesting bomb", .post, "/v1/admin/packs", String(repeating: "[", count: 100_000)),
            json("JSON refers to images it does not carry", .post, "/v1/admin/packs", valid),
            // Multipart uploads.
            multipart("SVG renamed .png", files: withFile(1, Array("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".utf8))),
            multipart("PNG with a valid header and a truncated body", files: withFile(1, Array(PackUploads.image(0).prefix(60)))),
            multipart("PNG claiming 100000×100000", files: withFile(1, ImageFactory.png(width: 100_000, height: 100_000, pixels: false))),
            multipart("animated WebP with thousands of frames", files: withFile(1, ImageFactory.webpAnimated(width: 128, height: 128, frames: 3_000))),
            multipart("GIF+HTML polyglot", files: withFile(1, ImageFactory.gif(width: 64, height: 64) + Array("<html><script>alert(1)</script></html>".utf8))),
            multipart("JPEG-looking bytes", files: withFile(1, [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0, count: 100))),
            multipart("zero-byte image", files: withFile(1, [])),
            multipart("missing image part", files: Array(PackUploads.standardFiles(count: 2).dropLast())),
            multipart("manifest not JSON", manifest: "not json at all"),
            multipart("HTML tray", files: withFile(0, Array("<html></html>".utf8))),
            BadInput(name: "boundary that never ends", method: .post, uri: "/v1/admin/packs", headers: .admin([.contentType: "multipart/form-data; boundary=never"]),
                     body: Array("--never\r\nContent-Disposition: form-data; name=\"manifest\"\r\n\r\n{}".utf8)),
            // The bytes that ended the process under multipart-kit 4.7.1: a byte >= 0x80 in a part header's name.
            rawMultipart("high byte in a part header name (the 40-byte crash)", "--b\r\nC\u{80}: x\r\n\r\nx\r\n--b--\r\n"),
            rawMultipart("0xFF as a part header name", [0x2D, 0x2D, 0x62, 0x0D, 0x0A, 0xFF, 0x3A, 0x20, 0x78, 0x0D, 0x0A, 0x0D, 0x0A, 0x78, 0x0D, 0x0A, 0x2D, 0x2D, 0x62, 0x2D, 0x2D]),
            rawMultipart("control byte in a part header value", "--b\r\nContent-Disposition: form-data; name=\"manifest\u{01}\"\r\n\r\n{}\r\n--b--\r\n"),
            rawMultipart("part header line without a colon", "--b\r\nContent-Disposition\r\n\r\n{}\r\n--b--\r\n"),
            rawMultipart("part headers that never end", "--b\r\nContent-Disposition: form-data; name=\"manifest\"\r\n"),
            rawMultipart("garbage after a boundary line", "--bXYZ\r\nContent-Disposition: form-data; name=\"manifest\"\r\n\r\n{}\r\n--b--\r\n"),
            rawMultipart("only a closing boundary", "--b--\r\n"),
            rawMultipart("duplicated manifest part", "--b\r\nContent-Disposition: form-data; name=\"manifest\"\r\n\r\n{}\r\n--b\r\nContent-Disposition: form-data; name=\"manifest\"\r\n\r\n{}\r\n--b--\r\n"),
            BadInput(name: "multipart without a boundary parameter", method: .post, uri: "/v1/admin/packs", headers: .admin([.contentType: "multipart/form-data"]), body: Array("x".utf8)),
            BadInput(name: "empty body", method: .post, uri: "/v1/admin/packs", headers: .admin([.contentType: "application/json"]), body: []),
            BadInput(name: "plain text upload", method: .post, uri: "/v1/admin/packs", headers: .admin([.contentType: "text/plain"]), body: Array("hi".utf8)),
            BadInput(name: "oversized body", method: .post, uri: "/v1/admin/packs", headers: .admin([.contentType: "application/zip"]), body: Array(repeating: 0x41, count: 33 * 1024 * 1024)),
            // Zip uploads.
            zip("zip path traversal", [manifestEntry(), ZipFactory.Entry(name: "../../etc/tray.png", bytes: PackUploads.tray)]),
            zip("zip absolute path", [manifestEntry(), ZipFactory.Entry(name: "/tmp/tray.png", bytes: PackUploads.tray)]),
            zip("zip symlink", [manifestEntry(), ZipFactory.Entry(name: "tray.png", bytes: Array("/etc/passwd".utf8), symlink: true)]),
            zip("zip bomb", [manifestEntry(), ZipFactory.Entry(name: "s0.png", bytes: Array(repeating: 0, count: 20 * 1024 * 1024))]),
            zip("zip with a lying size", [manifestEntry(), ZipFactory.Entry(name: "tray.png", bytes: PackUploads.tray, declaredSize: 10)]),
            zip("nested zip", [manifestEntry(), ZipFactory.Entry(name: "tray.png", bytes: ZipFactory.archive([ZipFactory.Entry(name: "x.png", bytes: PackUploads.tray)]))]),
            zip("10,000-entry zip", [manifestEntry()] + (0..<10_000).map { ZipFactory.Entry(name: "f\($0).png", bytes: [0], deflate: false) }),
            zip("encrypted zip entry", [manifestEntry(), ZipFactory.Entry(name: "tray.png", bytes: PackUploads.tray, encrypted: true)]),
            zip("zip without a manifest", [ZipFactory.Entry(name: "tray.png", bytes: PackUploads.tray)]),
            BadInput(name: "zip that is not a zip", method: .post, uri: "/v1/admin/packs", headers: .admin([.contentType: "application/zip"]), body: Array("PK\u{3}\u{4}garbage".utf8)),
            // Pack metadata patches.
            json("patch with an unknown field", .patch, "/v1/admin/packs/target", #"{"owner":"me"}"#),
            json("patch with a wrong type", .patch, "/v1/admin/packs/target", #"{"tags":"one"}"#),
            json("patch removing every title", .patch, "/v1/admin/packs/target", #"{"title":{"en":null}}"#),
            json("patch with a bad locale", .patch, "/v1/admin/packs/target", #"{"title":{"english!":"x"}}"#),
            json("patch with a 10 kB publisher", .patch, "/v1/admin/packs/target", #"{"publisher":"\#(long)"}"#),
            json("patch with a bad status", .patch, "/v1/admin/packs/target", #"{"status":"live"}"#),
            json("patch as an array", .patch, "/v1/admin/packs/target", "[]"),
            json("patch as XML", .patch, "/v1/admin/packs/target", "<x/>", headers: adminJSON("application/xml")),
            json("patch with a stale If-Match", .patch, "/v1/admin/packs/target", #"{"publisher":"x"}"#, headers: adminJSON(ifMatch: "\"r99\"")),
            json("patch with a weak If-Match", .patch, "/v1/admin/packs/target", #"{"publisher":"x"}"#, headers: adminJSON(ifMatch: "W/\"r1\"")),
            json("patch of an unknown pack", .patch, "/v1/admin/packs/nobody", #"{"publisher":"x"}"#),
            json("replace naming another id", .put, "/v1/admin/packs/target", valid),
            json("archive an unknown pack", .delete, "/v1/admin/packs/nobody", ""),
            // Sticker and order edits.
            json("sticker order not an array", .put, "/v1/admin/packs/target/stickers/order", #"{"a":1}"#),
            json("sticker order naming strangers", .put, "/v1/admin/packs/target/stickers/order", #"["target-s0","stranger"]"#),
            json("sticker order with a duplicate", .put, "/v1/admin/packs/target/stickers/order", #"["target-s0","target-s0"]"#),
            json("pack order naming unknown packs", .put, "/v1/admin/packs/order", #"["nobody"]"#),
            json("pack order with numbers", .put, "/v1/admin/packs/order", "[1,2]"),
            json("delete an unknown sticker", .delete, "/v1/admin/packs/target/stickers/nobody", ""),
            json("sticker id that is a dot-dot", .delete, "/v1/admin/packs/target/stickers/%2e%2e", ""),
            // GIF configuration.
            json("GIF config with an unknown provider", .put, "/v1/admin/gif-config", #"{"provider":"imgur","enabled":true}"#),
            json("GIF config with an http API base", .put, "/v1/admin/gif-config", #"{"provider":"giphy","enabled":true,"apiBase":"http://x.example","clientKey":"k","allowedHosts":["x.example"]}"#),
            json("GIF config with a host URL", .put, "/v1/admin/gif-config", #"{"provider":"giphy","enabled":true,"apiBase":"https://x.example","clientKey":"k","allowedHosts":["https://x.example/"]}"#),
            json("GIF config with HTML in a featured label", .put, "/v1/admin/gif-config", #"{"provider":"none","enabled":false,"featured":[{"term":"a\u0000","label":{"en":"x"}}]}"#),
            json("GIF config truncated", .put, "/v1/admin/gif-config", #"{"provider":"giphy","enab"#),
            // Media registrations.
            json("media with a negative size", .post, "/v1/media", #"{"ownerUserId":"u","kind":"file","mime":"application/pdf","size":-1,"sha256":"\#(String(repeating: "a", count: 64))","url":"https://m.example/f","objectKey":"f"}"#, headers: gatewayJSON),
            json("media with a javascript URL", .post, "/v1/media", #"{"ownerUserId":"u","kind":"file","mime":"application/pdf","size":1,"sha256":"\#(String(repeating: "a", count: 64))","url":"javascript:alert(1)","objectKey":"f"}"#, headers: gatewayJSON),
            json("media image without dimensions", .post, "/v1/media", #"{"ownerUserId":"u","kind":"image","mime":"image/png","size":1,"sha256":"\#(String(repeating: "a", count: 64))","url":"https://m.example/f","objectKey":"f"}"#, headers: gatewayJSON),
            json("media with a 10 kB owner", .post, "/v1/media", #"{"ownerUserId":"\#(long)","kind":"file","mime":"application/pdf","size":1,"sha256":"\#(String(repeating: "a", count: 64))","url":"https://m.example/f","objectKey":"f"}"#, headers: gatewayJSON),
            json("media delete with a non-UUID", .delete, "/v1/media/not-a-uuid", "", headers: gatewayJSON),
            // Tokens.
            json("no token on an admin write", .post, "/v1/admin/packs", valid, headers: [.contentType: "application/json"]),
            json("wrong token on an admin write", .post, "/v1/admin/packs", valid, headers: [.authorization: "Bearer wrong-token-0000000000", .contentType: "application/json"]),
            json("basic auth on an admin write", .post, "/v1/admin/packs", valid, headers: [.authorization: "Basic YWRtaW46YWRtaW4=", .contentType: "application/json"]),
            json("gateway token on an admin write", .put, "/v1/admin/packs/order", "[]", headers: gatewayJSON),
            json("gateway token on GIF config", .put, "/v1/admin/gif-config", #"{"provider":"none","enabled":false}"#, headers: gatewayJSON),
            json("admin token on a gateway write", .post, "/v1/media", "{}", headers: adminJSON()),
            json("no token on a gateway write", .post, "/v1/media", "{}", headers: [.contentType: "application/json"]),
            json("webhook without its secret", .post, "/v1/openim/callbacks/callbackBeforeSendSingleMsgCommand", "{}", headers: [.contentType: "application/json"]),
            json("webhook with a wrong secret", .post, "/v1/openim/callbacks/wrong-secret-00000000/callbackAfterSendSingleMsgCommand", "{}", headers: [.contentType: "application/json"]),
        ]
        // Two Authorization headers (a request smuggling classic) on an admin write.
        var doubled = adminJSON()
        doubled.append(HTTPField(name: .authorization, value: "Bearer \(TestService.gatewayToken)"))
        cases.append(json("two Authorization headers", .put, "/v1/admin/packs/order", "[]", headers: doubled))
        // Search and the library: query bytes, path ids and documents.
        let gateway: HTTPFields = [.authorization: "Bearer \(TestService.gatewayToken)"]
        for (name, query) in [
            ("search: stray percent", "q=%"), ("search: not UTF-8", "q=%C3%28%FF"), ("search: NUL", "q=a%00b"),
            ("search: overlong query", "q=" + String(repeating: "%E4%BD%A0", count: 200)), ("search: 64 words", "q=" + (1...64).map { "w\($0)" }.joined(separator: "+")),
            ("search: only punctuation", "q=%E2%80%A6%21"), ("search: cursor overflow", "q=a&cursor=99999999999999999999.1"),
            ("search: negative limit", "q=a&limit=-1"), ("search: parameter twice", "q=a&q=b"), ("search: empty name", "=a&q=b"),
        ] {
            cases.append(BadInput(name: name, method: .get, uri: "/v1/catalog/search?\(query)", headers: [:], body: []))
        }
        cases.append(BadInput(name: "emoji: lone skin tone pair", method: .get, uri: "/v1/catalog/stickers-for-emoji?emoji=%F0%9F%8F%BD%F0%9F%8F%BD", headers: [:], body: []))
        cases.append(BadInput(name: "emoji: a word", method: .get, uri: "/v1/catalog/stickers-for-emoji?emoji=wave", headers: [:], body: []))
        var gatewayJSON = gateway
        gatewayJSON[.contentType] = "application/json"
        gatewayJSON[.ifMatch] = "*"
        for (name, document) in [
            ("library: unknown pack", #"{"items":["nope"]}"#), ("library: not an id", #"{"items":["../etc"]}"#),
            ("library: unknown member", #"{"items":[],"owner":"x"}"#), ("library: items not an array", #"{"items":{}}"#),
            ("library: 300 packs", #"{"items":["# + Array(repeating: #""target""#, count: 300).joined(separator: ",") + "]}"),
            ("library: nested too deep", String(repeating: "[", count: 600)),
        ] {
            cases.append(BadInput(name: name, method: .put, uri: "/v1/users/u1/library/installed", headers: gatewayJSON, body: Array(document.utf8)))
        }
        cases.append(BadInput(name: "library: user id with a slash", method: .get, uri: "/v1/users/a%2Fb/library", headers: gateway, body: []))
        cases.append(BadInput(name: "library: unknown list", method: .get, uri: "/v1/users/u1/library/everything", headers: gateway, body: []))
        cases.append(BadInput(name: "library: favorite of a pack id", method: .post, uri: "/v1/users/u1/library/favorites/target", headers: gateway, body: []))
        cases.append(BadInput(name: "library: move out of range", method: .put, uri: "/v1/users/u1/library/installed/target/position?position=99999", headers: gateway, body: []))
        return cases
    }

    @Test func theCorpusIsLargeEnough() {
        #expect(Self.corpus.count >= 60)
        #expect(Set(Self.corpus.map(\.name)).count == Self.corpus.count)
    }

    @Test func everyHostileRequestIsRefusedAndChangesNothing() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { client, _ in
            let target = try await PackUploads.create(client, id: "target", count: 1)
            #expect(target.status == .created)
            func state() async throws -> [Int64] {
                let counts = try await TestService.counts(database)
                let extra = try await TestService.query(
                    database, """
                    SELECT (SELECT revision FROM gif_config)::int8 + 1000 * (SELECT count(*) FROM media_files)
                        + 1000000 * (SELECT count(*) + coalesce(sum(installed_version + favorites_version + recents_version + hidden_version), 0) FROM user_libraries)::int8
                    """, as: Int64.self
                )
                return [counts.version, counts.packs, counts.stickers, counts.assets, counts.changes, counts.audit] + extra
            }
            let before = try await state()
            for bad in Self.corpus {
                let response = try await client.execute(uri: bad.uri, method: bad.method, headers: bad.headers, body: ByteBuffer(bytes: bad.body))
                #expect((400...499).contains(response.status.code), "\(bad.name): \(response.status) \(response.text.prefix(200))")
                #expect(response.headers[.contentType] == "application/problem+json", "\(bad.name)")
                if case .object = response.json {} else { Issue.record("\(bad.name): the problem is not a JSON object") }
            }
            // The process is alive and serving, and nothing was stored.
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await state() == before)
        }
    }

    @Test func sqlAndHTMLInTextFieldsAreStoredInert() async throws {
        let database = try await TestService.freshDatabase()
        try await TestService.run(database: database) { client, _ in
            let hostile = #"x'); DROP TABLE sticker_packs; -- <img src=x onerror=alert(1)>"#
            let created = try await PackUploads.create(client, id: "inert", count: 1)
            #expect(created.status == .created)
            let patched = try await client.execute(
                uri: "/v1/admin/packs/inert", method: .patch, headers: .admin([.contentType: "application/json"]),
                body: ByteBuffer(string: #"{"publisher":"\#(hostile)","title":{"en":"\#(hostile.prefix(60))"},"tags":["<b>"]}"#)
            )
            #expect(patched.status == .ok, "\(patched.text)")
            let stored = try await TestService.query(database, "SELECT publisher FROM sticker_packs WHERE id = 'inert'", as: String.self)
            #expect(stored == [hostile])
            #expect(try await TestService.query(database, "SELECT count(*) FROM sticker_packs", as: Int64.self) == [1])
            let read = try await client.execute(uri: "/v1/admin/packs/inert", method: .get, headers: .admin())
            #expect(read.json["publisher"] == .string(hostile))
        }
    }
}
