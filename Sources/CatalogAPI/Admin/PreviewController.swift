import CatalogCore
import CatalogStore
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import OpenIMContent

/// `GET /admin/preview`: the catalog as an admin sees it — every pack in order with its tray icon and status,
/// stickers at their real size with their emojis, the catalog version and ETag, and the GIF configuration.
/// Server-rendered with Mustache (every value HTML-escaped), no JavaScript. The admin token is accepted as a bearer
/// header or as the `catalog_admin` cookie that `/admin/login` sets.
struct PreviewController {
    let repository: any PackRepository
    let snapshots: CatalogSnapshotStore
    let adminToken: [UInt8]
    let gatewayToken: [UInt8]
    let publicBaseURL: String

    static let cookieName = "catalog_admin"
    static let template = try! MustacheTemplate(string: previewTemplate)
    static let loginPage = try! MustacheTemplate(string: loginTemplate)

    /// The preview checks the admin token itself (header or cookie), so that a browser without one is sent to the
    /// login page rather than refused.
    func routes() -> [Route] {
        [
            Route(.get, "/admin/preview") { request, _ in try await self.preview(request) },
            Route(.get, "/admin/login") { _, _ in Self.html(Self.loginPage.render(["message": ""])) },
            Route(.post, "/admin/login") { request, _ in try await self.login(request) },
        ]
    }

    /// The admin token from `Authorization: Bearer` or the cookie; nil when neither carries it.
    func presentedToken(_ request: Request) -> [UInt8]? {
        if let bearer = BearerAuthenticator.bearer(of: request) { return bearer }
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == Self.cookieName {
                    return Array(parts[1].trimmingCharacters(in: .whitespaces).utf8)
                }
            }
        }
        return nil
    }

    func preview(_ request: Request) async throws -> Response {
        guard let token = presentedToken(request) else {
            // A browser without the cookie goes to the login form; other clients get the usual problem.
            if request.headers[.accept]?.contains("text/html") == true {
                return Response(status: .seeOther, headers: [.location: "/admin/login"])
            }
            throw Problem.unauthorized("Send Authorization: Bearer <admin token>, or log in at /admin/login.")
        }
        guard BearerAuthenticator.constantTimeEquals(token, adminToken) else {
            if BearerAuthenticator.constantTimeEquals(token, gatewayToken) { throw Problem.forbidden("This token is not valid for admin routes.") }
            throw Problem.unauthorized("The admin token is not valid.")
        }
        let content = try await repository.catalogContent()
        let snapshot = snapshots.current
        return Self.html(Self.template.render(Self.context(content: content, snapshot: snapshot, baseURL: publicBaseURL)), extraCSP: publicBaseURL)
    }

    func login(_ request: Request) async throws -> Response {
        let body = try await UploadReader.collect(request.body, limit: 4096)
        let form = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "+", with: "%20")
        let token = URLComponents(string: "?" + form)?.queryItems?.first(where: { $0.name == "token" })?.value ?? ""
        guard BearerAuthenticator.constantTimeEquals(Array(token.utf8), adminToken) else {
            // A browser gets the form again; other clients the usual problem, as everywhere else.
            guard request.headers[.accept]?.contains("text/html") == true else { throw Problem.unauthorized("That is not the admin token.") }
            var response = Self.html(Self.loginPage.render(["message": "That is not the admin token."]))
            response.status = .unauthorized
            return response
        }
        var headers = HTTPFields()
        headers[.location] = "/admin/preview"
        headers[.setCookie] = "\(Self.cookieName)=\(token); Path=/admin; HttpOnly; SameSite=Strict; Max-Age=43200"
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    /// A sticker's keywords as the preview shows them: the neutral ones, then each locale's with its tag
    /// (`hello, hi · zh-Hans: 你好`); empty without keywords.
    static func keywordsText(_ sticker: StoredSticker) -> String {
        var parts: [String] = []
        if !sticker.keywords.isEmpty { parts.append(sticker.keywords.joined(separator: ", ")) }
        for locale in sticker.localizedKeywords.keys.sorted() {
            parts.append("\(locale): \((sticker.localizedKeywords[locale] ?? []).joined(separator: ", "))")
        }
        return parts.joined(separator: " · ")
    }

    static func html(_ text: String, extraCSP: String? = nil) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.xContentTypeOptions] = "nosniff"
        let images = extraCSP.map { "'self' \(origin(of: $0))" } ?? "'self'"
        headers[.contentSecurityPolicy] = "default-src 'none'; img-src \(images); style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// `https://cdn.example.com/prefix` → `https://cdn.example.com`.
    static func origin(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return url }
        return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")"
    }

    static func context(content: CatalogContent, snapshot: CatalogSnapshot?, baseURL: String) -> [String: Any] {
        let gif = content.gif.configuration
        return [
            "version": String(content.version),
            "servedVersion": snapshot.map { String($0.version) } ?? "not loaded",
            "eTag": snapshot?.catalog.eTag ?? "—",
            "generatedAt": ISO8601.format(content.changedAt),
            "packCount": String(content.packs.count),
            "packs": content.packs.map { pack -> [String: Any] in
                [
                    "id": pack.id,
                    "title": pack.title["en"] ?? pack.title.sorted(by: { $0.key < $1.key }).first?.value ?? pack.id,
                    "titles": pack.title.sorted(by: { $0.key < $1.key }).map { "\($0.key): \($0.value)" }.joined(separator: " · "),
                    "publisher": pack.publisher,
                    "status": pack.status.rawValue,
                    "revision": String(pack.revision),
                    "animated": pack.animated,
                    "trayUrl": CatalogSnapshot.assetURL(pack.tray, baseURL: baseURL),
                    "trayWidth": String(pack.tray.width),
                    "trayHeight": String(pack.tray.height),
                    "stickerCount": String(pack.stickers.count),
                    "stickers": pack.stickers.map { sticker -> [String: Any] in
                        [
                            "id": sticker.id,
                            "url": CatalogSnapshot.assetURL(sticker.asset, baseURL: baseURL),
                            // What a picker's grid shows, at its own size, under the sticker at its real size.
                            "hasThumbnail": sticker.asset.thumbnail != nil,
                            "thumbnailUrl": CatalogSnapshot.thumbnailURL(sticker.asset, baseURL: baseURL) ?? "",
                            "thumbnailWidth": String(sticker.asset.thumbnail?.width ?? 0),
                            "thumbnailHeight": String(sticker.asset.thumbnail?.height ?? 0),
                            "thumbnail": sticker.asset.thumbnail.map { "thumbnail \($0.width)×\($0.height), \($0.byteSize) of \(sticker.asset.byteSize) bytes" } ?? "",
                            "width": String(sticker.asset.width),
                            "height": String(sticker.asset.height),
                            "emojis": sticker.emojis.joined(separator: " "),
                            "label": sticker.label ?? sticker.emojis.joined(separator: " "),
                            "keywords": Self.keywordsText(sticker),
                            "hasKeywords": !sticker.keywords.isEmpty || !sticker.localizedKeywords.isEmpty,
                        ]
                    },
                ]
            },
            "gif": [
                "provider": gif.provider.rawValue,
                "enabled": gif.isActive ? "enabled" : "disabled",
                "apiBase": gif.apiBase ?? "—",
                "rating": gif.rating.rawValue,
                "locale": "\(gif.locale) / \(gif.country)",
                "searchLimit": String(gif.searchLimit),
                "renditions": gif.renditions.joined(separator: ", "),
                "limits": "\(gif.maximumBytes) bytes, \(gif.maximumWidth)×\(gif.maximumHeight)",
                "hosts": gif.allowedHosts.joined(separator: ", "),
                "featured": gif.featured.map { $0.term }.joined(separator: ", "),
                "revision": String(content.gif.revision),
                "serverKey": content.gif.serverApiKeySet ? "stored (never shown)" : "none",
            ] as [String: Any],
        ]
    }
}

let loginTemplate = """
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>catalog-service · admin login</title>
<style>body{font:16px system-ui,sans-serif;margin:3rem auto;max-width:28rem}input{font:inherit;width:100%;margin:.5rem 0;padding:.4rem}
.message{color:#a00}</style></head>
<body><h1>Catalog preview</h1>
<form method="post" action="/admin/login"><label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button></form>
{{#message}}<p class="message">{{message}}</p>{{/message}}
</body></html>
"""

let previewTemplate = """
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>catalog-service · preview (version {{version}})</title>
<style>
body{font:15px system-ui,sans-serif;margin:1.5rem;color:#222;background:#fafafa}
header{display:flex;gap:2rem;flex-wrap:wrap;align-items:baseline}
code{background:#eee;padding:0 .3rem;border-radius:3px}
.pack{background:#fff;border:1px solid #ddd;border-radius:8px;margin:1rem 0;padding:1rem}
.pack h2{display:flex;align-items:center;gap:.6rem;margin:0 0 .6rem;font-size:1.2rem}
.badge{font-size:.75rem;padding:.1rem .5rem;border-radius:1rem;background:#ddd;text-transform:uppercase}
.badge.published{background:#cfe9d4}.badge.draft{background:#fde7b0}.badge.archived{background:#f3c9c9}
.grid{display:flex;flex-wrap:wrap;gap:.8rem;align-items:flex-end}
figure{margin:0;text-align:center}figcaption{font-size:.8rem;color:#555;max-width:512px}
table{border-collapse:collapse}td,th{text-align:left;padding:.2rem .8rem .2rem 0;vertical-align:top}
</style></head>
<body>
<header><h1>Catalog preview</h1>
<p>Version <strong id="catalog-version">{{version}}</strong> (served: {{servedVersion}}) · ETag <code id="catalog-etag">{{eTag}}</code> · committed {{generatedAt}} · {{packCount}} packs</p></header>
<section id="gif"><h2>GIF configuration (revision {{gif.revision}})</h2>
<table>
<tr><th>Provider</th><td>{{gif.provider}} ({{gif.enabled}})</td></tr>
<tr><th>API base</th><td>{{gif.apiBase}}</td></tr>
<tr><th>Rating</th><td>{{gif.rating}}</td></tr>
<tr><th>Locale / country</th><td>{{gif.locale}}</td></tr>
<tr><th>Search limit</th><td>{{gif.searchLimit}}</td></tr>
<tr><th>Renditions</th><td>{{gif.renditions}}</td></tr>
<tr><th>Largest GIF</th><td>{{gif.limits}}</td></tr>
<tr><th>Allowed hosts</th><td>{{gif.hosts}}</td></tr>
<tr><th>Featured</th><td>{{gif.featured}}</td></tr>
<tr><th>Server key</th><td>{{gif.serverKey}}</td></tr>
</table></section>
{{#packs}}
<section class="pack" id="pack-{{id}}">
<h2><img class="tray" src="{{trayUrl}}" width="{{trayWidth}}" height="{{trayHeight}}" style="width:48px;height:auto" alt="tray icon of {{id}}">
{{title}} <span class="badge {{status}}">{{status}}</span>{{#animated}} <span class="badge">animated</span>{{/animated}}</h2>
<p><code>{{id}}</code> · {{titles}} · by {{publisher}} · revision {{revision}} · {{stickerCount}} stickers</p>
<div class="grid">
{{#stickers}}<figure><img class="sticker" src="{{url}}" width="{{width}}" height="{{height}}" alt="{{label}}" title="{{id}}"><figcaption>{{emojis}} <code>{{id}}</code>{{#hasThumbnail}}<br><img class="thumbnail" src="{{thumbnailUrl}}" width="{{thumbnailWidth}}" height="{{thumbnailHeight}}" alt="picker thumbnail of {{id}}"> <small>{{thumbnail}}</small>{{/hasThumbnail}}{{#hasKeywords}}<br><small class="keywords">{{keywords}}</small>{{/hasKeywords}}</figcaption></figure>
{{/stickers}}
</div></section>
{{/packs}}
{{^packs}}<p>No packs yet.</p>{{/packs}}
</body></html>
"""
