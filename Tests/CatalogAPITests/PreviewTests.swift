import CatalogAPI
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Admin preview page: login cookie, escaping, badges")
struct PreviewTests {
    @Test func loginSetsACookieThatOpensThePreview() async throws {
        try await TestService.run { client, components in
            _ = try await CatalogTests.publish(client, components, id: "pub")
            let draft = try await PackUploads.create(client, id: "wip", status: "draft", offset: 5)
            #expect(draft.status == .created)
            let patched = try await client.execute(
                uri: "/v1/admin/packs/wip", method: .patch, headers: .admin([.contentType: "application/merge-patch+json"]),
                body: ByteBuffer(string: #"{"title":{"en":"<script>alert(1)</script>"},"publisher":"Tom & \"Jerry\""}"#)
            )
            #expect(patched.status == .ok)
            // The page shows the snapshot being served: let it reach the patch first.
            #expect(await components.snapshots.waitForVersion(try #require(patched.catalogVersion)))

            // Browsers without a cookie are sent to the form; API clients get a problem.
            let browser = try await client.execute(uri: "/admin/preview", method: .get, headers: [.accept: "text/html"])
            #expect(browser.status == .seeOther)
            #expect(browser.headers[.location] == "/admin/login")
            #expect(try await client.execute(uri: "/admin/preview", method: .get).status == .unauthorized)
            let gateway = try await client.execute(uri: "/admin/preview", method: .get, headers: [.authorization: "Bearer \(TestService.gatewayToken)"])
            #expect(gateway.status == .forbidden)
            let form = try await client.execute(uri: "/admin/login", method: .get)
            #expect(form.text.contains(#"<form method="post" action="/admin/login">"#))

            // A browser gets the form again; curl and other clients a problem, like every other 4xx.
            let wrong = try await client.execute(
                uri: "/admin/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .accept: "text/html,*/*;q=0.8"],
                body: ByteBuffer(string: "token=nope")
            )
            #expect(wrong.status == .unauthorized)
            #expect(wrong.headers[.contentType] == "text/html; charset=utf-8")
            #expect(wrong.headers[.setCookie] == nil)
            let wrongFromCurl = try await client.execute(uri: "/admin/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "token=nope"))
            #expect(wrongFromCurl.status == .unauthorized)
            #expect(wrongFromCurl.headers[.contentType] == "application/problem+json")
            let login = try await client.execute(
                uri: "/admin/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "token=\(TestService.adminToken)")
            )
            #expect(login.status == .seeOther)
            let cookie = try #require(login.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/admin"))
            let pair = String(cookie.split(separator: ";")[0])

            let page = try await client.execute(uri: "/admin/preview", method: .get, headers: [.cookie: pair])
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'none'") == true)
            let html = page.text
            #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!html.contains("<script>"))
            #expect(html.contains("Tom &amp; &quot;Jerry&quot;"))
            #expect(html.contains(#"<span class="badge draft">draft</span>"#))
            #expect(html.contains(#"<span class="badge published">published</span>"#))
            // Stickers at their real size, from the public asset URLs.
            #expect(html.contains(#"src="https://cdn.example.com/v1/assets/"#))
            #expect(html.contains(#"width="64" height="64""#))
            let snapshot = try #require(components.snapshots.current)
            #expect(html.contains(snapshot.catalog.eTag.replacingOccurrences(of: "\"", with: "&quot;")))
            // The bearer header works too.
            #expect(try await client.execute(uri: "/admin/preview", method: .get, headers: .admin()).status == .ok)
        }
    }
}
