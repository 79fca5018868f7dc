import CatalogCore
import CatalogStore
import HTTPTypes
import Hummingbird
import OpenIMContent

/// The GIF configuration: public (from the snapshot, cached like the catalog) and admin (read and replace).
struct GIFConfigController {
    let snapshots: CatalogSnapshotStore
    let repository: any PackRepository
    let responder: RepresentationResponder

    /// The public document (answered by the byte lane too, from heads prepared per version) and the admin's.
    func routes() -> [Route] {
        let lane = Route.Lane.representation(PreparedSource(snapshots: snapshots, responder: responder) { snapshot, _ in (snapshot.gifDocument, nil) })
        return [
            Route([.get, .head], "/v1/gif-config", lane: lane) { request, _ in try self.publicDocument(request) },
            Route(.options, "/v1/gif-config") { _, _ in CatalogController.preflight() },
            Route(.get, "/v1/admin/gif-config", .admin) { _, _ in try await self.adminDocument() },
            Route(.put, "/v1/admin/gif-config", .admin) { request, _ in try await self.replace(request) },
        ]
    }

    func publicDocument(_ request: Request) throws -> Response {
        guard let snapshot = snapshots.current else { throw Problem.unavailable("The catalog is loading; retry shortly.") }
        return publicDocument(snapshot, method: request.method, headers: request.headers).response
    }

    func publicDocument(_ snapshot: CatalogSnapshot, method: HTTPRequest.Method, headers: HTTPFields) -> PlainResponse {
        responder.respond(method: method, headers: headers, representation: snapshot.gifDocument, lastModified: nil, catalogVersion: snapshot.version)
    }

    func adminDocument() async throws -> Response {
        let stored = try await repository.gifConfiguration()
        var headers = HTTPFields()
        headers[.eTag] = stored.eTag
        return JSONRequest.response(stored.adminBytes(catalogVersion: nil), headers: headers)
    }

    func replace(_ request: Request) async throws -> Response {
        let body = try await JSONRequest.body(request, limit: GIFConfigurationParser.maximumDocumentBytes)
        let update = try GIFConfigurationParser.parse(body)
        let ifMatch = ConditionalRequest.matchedRevisions(ConditionalRequest.condition(.ifMatch, in: request.headers))
        let result = try await repository.updateGIFConfiguration(update, ifMatch: ifMatch, actor: .admin)
        var headers = HTTPFields()
        headers[.eTag] = result.value.eTag
        headers[.catalogVersion] = String(result.catalogVersion)
        return JSONRequest.response(result.value.adminBytes(catalogVersion: result.catalogVersion), headers: headers)
    }
}
