import CatalogCore
import CatalogStore
import HTTPTypes
import Hummingbird
import OpenIMContent

/// The public catalog: whole, per pack, and the changes feed. Catalog and pack reads come from the in-memory
/// snapshot only.
struct CatalogController {
    let snapshots: CatalogSnapshotStore
    let repository: any PackRepository
    let responder: RepresentationResponder

    /// The catalog's and a pack's reads are answered by the byte lane too, from heads prepared per version (an
    /// unknown pack is the router's 404).
    func routes() -> [Route] {
        let catalogLane = Route.Lane.representation(PreparedSource(snapshots: snapshots, responder: responder) { snapshot, _ in
            (snapshot.catalog, (snapshot.lastModified, snapshot.changedAt))
        })
        let packLane = Route.Lane.representation(PreparedSource(snapshots: snapshots, responder: responder) { snapshot, id in
            snapshot.packs[id].map { ($0, nil) }
        })
        return [
            Route([.get, .head], "/v1/catalog", lane: catalogLane) { request, _ in try self.catalog(request) },
            Route([.get, .head], "/v1/catalog/packs/{id}", lane: packLane) { request, context in try self.pack(request, context: context) },
            Route(.get, "/v1/catalog/changes") { request, _ in try await self.changes(request) },
        ] + ["/v1/catalog", "/v1/catalog/packs/{id}", "/v1/catalog/changes", "/v1/assets/{name}"].map { path in
            Route(.options, path) { _, _ in Self.preflight() }
        }
    }

    /// CORS preflight: browsers send one before a GET with If-None-Match.
    static func preflight() -> Response {
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = "*"
        headers[.accessControlAllowMethods] = "GET, HEAD"
        headers[.accessControlAllowHeaders] = "If-None-Match, If-Modified-Since"
        headers[.accessControlMaxAge] = "86400"
        return Response(status: .noContent, headers: headers)
    }

    func current() throws -> CatalogSnapshot {
        guard let snapshot = snapshots.current else { throw Problem.unavailable("The catalog is loading; retry shortly.") }
        return snapshot
    }

    func catalog(_ request: Request) throws -> Response {
        catalog(try current(), method: request.method, headers: request.headers).response
    }

    func catalog(_ snapshot: CatalogSnapshot, method: HTTPRequest.Method, headers: HTTPFields) -> PlainResponse {
        responder.respond(
            method: method, headers: headers, representation: snapshot.catalog, lastModified: (snapshot.lastModified, snapshot.changedAt),
            catalogVersion: snapshot.version
        )
    }

    func pack(_ request: Request, context: AppRequestContext) throws -> Response {
        let id = context.parameters.get("id") ?? ""
        guard let response = pack(try current(), id: id, method: request.method, headers: request.headers) else {
            throw Problem.notFound("No published pack \(id).")
        }
        return response.response
    }

    /// Nil when no published pack has that id.
    func pack(_ snapshot: CatalogSnapshot, id: String, method: HTTPRequest.Method, headers: HTTPFields) -> PlainResponse? {
        snapshot.packs[id].map { responder.respond(method: method, headers: headers, representation: $0, lastModified: nil, catalogVersion: snapshot.version) }
    }

    func changes(_ request: Request) async throws -> Response {
        guard let text = request.uri.queryParameters.get("since") else {
            throw Problem.badRequest("since is required: the catalog version you have.", errors: [FieldIssue(field: "since", message: "is required")])
        }
        guard let since = Int64(text), since >= 0 else {
            throw Problem.badRequest("since must be a non-negative whole number.", errors: [FieldIssue(field: "since", message: "must be a non-negative integer")])
        }
        switch try await repository.changes(since: since) {
        case .future(let current):
            throw Problem.badRequest("since \(since) is ahead of the catalog version \(current).", errors: [FieldIssue(field: "since", message: "is newer than the catalog")])
        case .expired(let oldest):
            throw Problem(.gone, type: "urn:catalog-service:problem:changes-expired", title: "Change log no longer reaches that version",
                          detail: "Changes are kept from version \(oldest); fetch /v1/catalog again.")
        case .changes(let current, let changes):
            // The last operation per pack wins.
            var packs: [String: String] = [:]
            var gifConfigChanged = false
            var orderChanged = false
            var popularChanged = false
            for change in changes {
                switch change.entityKind {
                case "pack": packs[change.entityId] = change.operation
                case "gif_config": gifConfigChanged = true
                case "catalog": orderChanged = true
                case "popular": popularChanged = true
                default: break
                }
            }
            var writer = JSONWriter()
            writer.object { object in
                object.member("currentVersion", current)
                // The emoji index follows the published stickers, their order and the popular ranking; true may
                // mean it came out the same (its ETag then still answers 304).
                object.member("emojiIndexChanged", !packs.isEmpty || orderChanged || popularChanged)
                object.member("gifConfigChanged", gifConfigChanged)
                object.member("orderChanged", orderChanged)
                object.member("packs") { packsWriter in
                    packsWriter.object { members in
                        members.member("removed", packs.filter { $0.value == "remove" }.keys.sorted())
                        members.member("upserted", packs.filter { $0.value == "upsert" }.keys.sorted())
                    }
                }
                object.member("popularChanged", popularChanged)
                object.member("since", since)
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.cacheControl] = "no-cache"
            headers[.accessControlAllowOrigin] = "*"
            headers[.catalogVersion] = String(current)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
        }
    }
}
