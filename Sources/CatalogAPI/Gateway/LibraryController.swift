import CatalogCore
import CatalogStore
import Foundation
import HTTPTypes
import Hummingbird
import OpenIMContent

/// Each user's sticker library, for the gateway (which authenticates the user and names them in the path): the
/// whole library and each list with a strong ETag and 304, every change guarded by `If-Match`, and the operations
/// clients need without a read-modify-write.
struct LibraryController {
    let repository: any LibraryRepository
    let snapshots: CatalogSnapshotStore
    let settings: LibrarySettings

    func routes() -> [Route] {
        let base = "/v1/users/{userId}/library"
        return [
            Route(.get, base, .gateway) { request, context in try await self.library(request, context) },
            Route(.delete, base, .gateway) { _, context in try await self.deleteAll(context) },
            Route(.get, "\(base)/export", .gateway) { _, context in try await self.export(context) },
            Route(.get, "\(base)/{list}", .gateway) { request, context in try await self.list(request, context) },
            Route(.put, "\(base)/{list}", .gateway) { request, context in try await self.replace(request, context) },
            Route(.post, "\(base)/{list}/{itemId}", .gateway) { request, context in try await self.add(request, context) },
            Route(.delete, "\(base)/{list}/{itemId}", .gateway) { request, context in try await self.remove(request, context) },
            Route(.put, "\(base)/{list}/{itemId}/position", .gateway) { request, context in try await self.move(request, context) },
        ]
    }

    /// A user id as OpenIM issues them: 1–64 of letters, digits and `._@+-` (it is a path segment, and a key).
    static func userId(_ context: AppRequestContext) throws -> String {
        let id = QueryParameters.pathSegment(context.parameters.get("userId") ?? "") ?? ""
        guard StoredLibrary.isUserId(id) else {
            throw Problem.badRequest("userId must be 1 to 64 letters, digits or ._@+-", errors: [FieldIssue(field: "userId", message: "must match [A-Za-z0-9._@+-]{1,64}")])
        }
        return id
    }

    static func list(_ context: AppRequestContext) throws -> LibraryList {
        let name = context.parameters.get("list") ?? ""
        guard let list = LibraryList(rawValue: name) else {
            throw Problem.notFound("A library has the lists \(LibraryList.allCases.map(\.rawValue).joined(separator: ", ")); not \(name).")
        }
        return list
    }

    static func itemId(_ context: AppRequestContext, list: LibraryList) throws -> String {
        let id = QueryParameters.pathSegment(context.parameters.get("itemId") ?? "") ?? ""
        guard Slug.isValid(id) else {
            let field = list.holdsPacks ? "packId" : "stickerId"
            throw Problem.validation([FieldIssue(field: field, message: "is not an id: \(Slug.rule)")])
        }
        return id
    }

    func snapshot() throws -> CatalogSnapshot {
        guard let snapshot = snapshots.current else { throw Problem.unavailable("The catalog is loading; retry shortly.") }
        return snapshot
    }

    func view(_ userId: String, _ stored: StoredLibrary) throws -> LibraryView {
        LibraryView(userId: userId, stored: stored, settings: settings, snapshot: try snapshot())
    }

    /// A user's document: private (never in a shared cache), revalidated every time, answered 304 when unchanged.
    static func document(_ bytes: [UInt8], request: Request?, status: HTTPResponse.Status = .ok) -> Response {
        let eTag = LibraryView.eTag(bytes)
        var headers = HTTPFields()
        headers[.eTag] = eTag
        headers[.cacheControl] = "private, no-cache"
        if let request, ConditionalRequest.noneMatchFails(request.headers, current: eTag) == true {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func library(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let userId = try Self.userId(context)
        return Self.document(try view(userId, try await repository.library(userId: userId)).libraryBytes(), request: request)
    }

    func list(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let userId = try Self.userId(context)
        let list = try Self.list(context)
        return Self.document(try view(userId, try await repository.library(userId: userId)).listBytes(list), request: request)
    }

    func export(_ context: AppRequestContext) async throws -> Response {
        let userId = try Self.userId(context)
        var response = JSONRequest.response(try view(userId, try await repository.library(userId: userId)).exportBytes(exportedAt: Date()))
        response.headers[.contentDisposition] = "attachment; filename=\"library-\(userId).json\""
        return response
    }

    func deleteAll(_ context: AppRequestContext) async throws -> Response {
        _ = try await repository.delete(userId: try Self.userId(context))
        return Response(status: .noContent)
    }

    /// Applies `edit` to the user's locked lists after checking `If-Match` against `list`'s current ETag (required
    /// when `requireMatch`), and answers `list`'s new document.
    func change(
        _ request: Request, _ context: AppRequestContext, list: LibraryList, requireMatch: Bool,
        edit: @escaping @Sendable (LibraryView) throws -> StoredLibrary
    ) async throws -> Response {
        let userId = try Self.userId(context)
        let condition = ConditionalRequest.condition(.ifMatch, in: request.headers)
        if requireMatch, condition == nil {
            throw Problem(.preconditionRequired, type: "urn:catalog-service:problem:if-match-required", title: "If-Match is required",
                          detail: "Replacing a whole list needs the ETag it was read with, so two devices never overwrite each other silently.")
        }
        let snapshot = try snapshot()
        let settings = self.settings
        let stored = try await repository.update(userId: userId) { stored in
            var stored = stored
            // A user's first change fixes their installed set: a default pack the catalog archives later then stays
            // in it, marked unavailable, like any pack they installed themselves.
            if stored.installed == nil {
                stored.installed = LibraryView(userId: userId, stored: stored, settings: settings, snapshot: snapshot).ids(.installed)
            }
            let view = LibraryView(userId: userId, stored: stored, settings: settings, snapshot: snapshot)
            let current = LibraryView.eTag(view.listBytes(list))
            if let condition, !Self.matches(condition, current: current) { throw Problem.preconditionFailed(currentETag: current) }
            do {
                return try edit(view)
            } catch let error as LibraryError {
                throw Self.problem(error)
            }
        }
        return Self.document(LibraryView(userId: userId, stored: stored, settings: settings, snapshot: snapshot).listBytes(list), request: nil)
    }

    /// If-Match (RFC 9110 §13.1.1): `*` or a strong tag equal to the current one.
    static func matches(_ condition: ConditionalRequest.Condition, current: String) -> Bool {
        switch condition {
        case .any: true
        case .tags(let tags): tags.contains { !$0.weak && $0.opaque == current }
        }
    }

    static func problem(_ error: LibraryError) -> Problem {
        switch error {
        case .invalid(let issues): return .validation(issues)
        case .capReached(let list, let cap):
            return Problem(.conflict, type: "urn:catalog-service:problem:library-cap", title: "The list is full",
                           detail: "\(list.rawValue) holds at most \(cap); remove one first.",
                           errors: [FieldIssue(field: list.rawValue, message: "holds at most \(cap)")])
        case .notInList(let list, let id): return .notFound("\(id) is not in \(list.rawValue).")
        }
    }

    func replace(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let list = try Self.list(context)
        let ids = try LibraryDocumentParser.parse(try await JSONRequest.body(request, limit: LibraryDocumentParser.maximumBodyBytes))
        return try await change(request, context, list: list, requireMatch: true) { view in try LibraryEdit.replace(list, with: ids, in: view) }
    }

    func add(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let list = try Self.list(context)
        let id = try Self.itemId(context, list: list)
        let position = try Self.position(request.uri.query ?? "", required: false)
        return try await change(request, context, list: list, requireMatch: false) { view in try LibraryEdit.add(id, to: list, at: position, in: view) }
    }

    func remove(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let list = try Self.list(context)
        let id = try Self.itemId(context, list: list)
        return try await change(request, context, list: list, requireMatch: false) { view in LibraryEdit.remove(id, from: list, in: view) }
    }

    func move(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let list = try Self.list(context)
        let id = try Self.itemId(context, list: list)
        let position = try Self.position(request.uri.query ?? "", required: true) ?? 0
        return try await change(request, context, list: list, requireMatch: false) { view in try LibraryEdit.move(id, in: list, to: position, in: view) }
    }

    /// `?position=N` (0 is the front).
    static func position(_ rawQuery: String, required: Bool) throws -> Int? {
        let parameters = try QueryParameters(rawQuery, allowed: ["position"])
        guard parameters["position"] != nil else {
            if required { throw Problem.badRequest("position is required: where to move the item, 0 for the front.", errors: [FieldIssue(field: "position", message: "is required")]) }
            return nil
        }
        return try parameters.integer("position", in: 0...999, default: 0)
    }
}
