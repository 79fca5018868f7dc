import CatalogAPI
import CatalogCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenIMContent
import Testing

@Suite("GIF configuration over HTTP: admin PUT with If-Match, public document cached like the catalog")
struct GIFConfigTests {
    static let document = #"{"provider":"klipy","enabled":true,"apiBase":"https://api.klipy.com/api/v1","clientKey":"klipy-public-key","clientName":"chat-app","rating":"pg-13","allowedHosts":["static.klipy.com"],"renditions":["tinygif","gif","mp4"],"featured":[{"term":"thanks","label":{"en":"Thanks"}}],"serverApiKey":"klipy-server-secret-key"}"#

    static func put(_ client: any TestClientProtocol, _ body: String, ifMatch: String? = nil) async throws -> TestResponse {
        var headers = HTTPFields.admin([.contentType: "application/json"])
        if let ifMatch { headers[.ifMatch] = ifMatch }
        return try await client.execute(uri: "/v1/admin/gif-config", method: .put, headers: headers, body: ByteBuffer(string: body))
    }

    @Test func putThenServePublicly() async throws {
        try await TestService.run { client, components in
            let initial = try await client.execute(uri: "/v1/admin/gif-config", method: .get, headers: .admin())
            #expect(initial.status == .ok)
            let initialTag = try #require(initial.headers[.eTag])
            #expect(initial.json["provider"] == .string("none"))

            let stale = try await Self.put(client, Self.document, ifMatch: "\"r999\"")
            #expect(stale.status == .preconditionFailed)

            let saved = try await Self.put(client, Self.document, ifMatch: initialTag)
            #expect(saved.status == .ok, "\(saved.text)")
            let version = try #require(saved.catalogVersion)
            #expect(saved.json["catalogVersion"] == .integer(version))
            #expect(saved.json["serverApiKeySet"] == .bool(true))
            #expect(saved.json["contentFilter"] == .string("low"))
            #expect(!saved.text.contains("klipy-server-secret-key"))
            #expect(await components.snapshots.waitForVersion(version))

            // Public: the document, without the server key, with ETag/304/gzip like the catalog.
            let publicDocument = try await client.execute(uri: "/v1/gif-config", method: .get)
            #expect(publicDocument.status == .ok)
            #expect(publicDocument.json["provider"] == .string("klipy"))
            #expect(publicDocument.json["clientKey"] == .string("klipy-public-key"))
            #expect(!publicDocument.text.contains("klipy-server-secret-key"))
            #expect(publicDocument.json["serverApiKeySet"] == nil)
            let eTag = try #require(publicDocument.headers[.eTag])
            #expect(publicDocument.headers[.vary] == "Accept-Encoding")
            let notModified = try await client.execute(uri: "/v1/gif-config", method: .get, headers: [.ifNoneMatch: "W/\(eTag)"])
            #expect(notModified.status == .notModified)
            #expect(notModified.body.readableBytes == 0)
            #expect(notModified.headers[.eTag] == eTag)
            let gzip = try await client.execute(uri: "/v1/gif-config", method: .get, headers: [.acceptEncoding: "gzip"])
            #expect(gzip.headers[.contentEncoding] == "gzip")
            var compressed = gzip.body
            #expect(try compressed.decompress(with: .gzip()) == publicDocument.body)

            // The catalog carries a summary pointing at the document; the changes feed says it changed.
            let catalog = try await client.execute(uri: "/v1/catalog", method: .get)
            #expect(catalog.json["gif"] == (try JSONParser.parse(#"{"configUrl":"https://cdn.example.com/v1/gif-config","enabled":true,"provider":"klipy","revision":2}"#)))
            #expect(!catalog.text.contains("klipy-server-secret-key"))
            let changes = try await client.execute(uri: "/v1/catalog/changes?since=\(version - 1)", method: .get)
            #expect(changes.json["gifConfigChanged"] == .bool(true))

            // Audited, without the key.
            let audit = try await client.execute(uri: "/v1/admin/audit", method: .get, headers: .admin())
            #expect(audit.text.contains("gif-config.update"))
            #expect(!audit.text.contains("klipy-server-secret-key"))
        }
    }

    @Test func theAdminDocumentPutsBackUnchangedAndKeepsTheServerKey() async throws {
        try await TestService.run { client, components in
            let first = try await Self.put(client, Self.document)
            #expect(first.status == .ok)
            let read = try await client.execute(uri: "/v1/admin/gif-config", method: .get, headers: .admin())
            let again = try await Self.put(client, read.text, ifMatch: read.headers[.eTag])
            #expect(again.status == .ok, "\(again.text)")
            #expect(again.json["serverApiKeySet"] == .bool(true))
            let stored = try await TestService.query(
                components.configuration.databaseURL, "SELECT server_api_key FROM gif_config", as: String.self
            )
            #expect(stored == ["klipy-server-secret-key"])
            // Removing the key takes an explicit null.
            let cleared = try await Self.put(client, Self.document.replacingOccurrences(of: #""klipy-server-secret-key""#, with: "null"))
            #expect(cleared.json["serverApiKeySet"] == .bool(false))
        }
    }

    @Test func refusedDocumentsChangeNothing() async throws {
        try await TestService.run { client, components in
            let database = components.configuration.databaseURL
            let before = try await TestService.counts(database)
            let cases: [(String, HTTPResponse.Status, String)] = [
                (#"{"provider":"klipy","enabled":true}"#, .unprocessableContent, "apiBase"),
                (Self.document.replacingOccurrences(of: "static.klipy.com", with: "https://static.klipy.com"), .unprocessableContent, "allowedHosts[0]"),
                (Self.document.replacingOccurrences(of: #""rating":"pg-13""#, with: #""rating":"x""#), .unprocessableContent, "rating"),
                (Self.document.replacingOccurrences(of: #"{"provider""#, with: #"{"colour":"red","provider""#), .unprocessableContent, "colour"),
                ("{not json", .badRequest, "body"),
            ]
            for (body, status, field) in cases {
                let response = try await Self.put(client, body)
                #expect(response.status == status, "\(body): \(response.text)")
                #expect(response.headers[.contentType] == "application/problem+json")
                #expect(response.text.contains("\"\(field)\""), "\(response.text)")
            }
            let wrongType = try await client.execute(uri: "/v1/admin/gif-config", method: .put, headers: .admin([.contentType: "text/plain"]), body: ByteBuffer(string: Self.document))
            #expect(wrongType.status == .unsupportedMediaType)
            let gateway = try await client.execute(uri: "/v1/admin/gif-config", method: .put, headers: [.authorization: "Bearer \(TestService.gatewayToken)", .contentType: "application/json"], body: ByteBuffer(string: Self.document))
            #expect(gateway.status == .forbidden)
            #expect(try await TestService.counts(database) == before)
            #expect(try await TestService.query(database, "SELECT revision FROM gif_config", as: Int.self) == [1])
        }
    }
}
