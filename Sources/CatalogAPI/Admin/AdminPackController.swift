import CatalogCore
import CatalogStore
import Foundation
import HTTPTypes
import Hummingbird
import OpenIMContent

/// Admin routes for packs, stickers, order and the audit log. Routes parse, call the assembler and the repository,
/// and encode; the rules live in CatalogCore and the SQL in CatalogStore.
struct AdminPackController {
    let repository: any PackRepository
    let publicBaseURL: String
    let actor = Actor.admin

    func routes() -> [Route] {
        [
            Route(.post, "/v1/admin/packs", .admin) { request, context in try await self.create(request, context: context) },
            Route(.get, "/v1/admin/packs", .admin) { request, _ in try await self.list(request) },
            Route(.put, "/v1/admin/packs/order", .admin) { request, _ in try await self.reorderPacks(request) },
            Route(.get, "/v1/admin/packs/{id}", .admin) { _, context in try await self.show(context) },
            Route(.put, "/v1/admin/packs/{id}", .admin) { request, context in try await self.replace(request, context: context) },
            Route(.patch, "/v1/admin/packs/{id}", .admin) { request, context in try await self.patch(request, context: context) },
            Route(.delete, "/v1/admin/packs/{id}", .admin) { request, context in try await self.archive(request, context: context) },
            Route(.get, "/v1/admin/packs/{id}/export", .admin) { request, context in try await self.export(request, context: context) },
            Route(.post, "/v1/admin/packs/{id}/purge", .admin) { request, context in try await self.purge(request, context: context) },
            Route(.post, "/v1/admin/packs/{id}/stickers", .admin) { request, context in try await self.addSticker(request, context: context) },
            Route(.put, "/v1/admin/packs/{id}/stickers/order", .admin) { request, context in try await self.reorderStickers(request, context: context) },
            Route(.delete, "/v1/admin/packs/{id}/stickers/{stickerId}", .admin) { request, context in try await self.deleteSticker(request, context: context) },
            Route(.get, "/v1/admin/audit", .admin) { request, _ in try await self.audit(request) },
        ]
    }

    // MARK: Helpers

    func packID(_ context: AppRequestContext) throws -> String {
        guard let id = context.parameters.get("id"), Slug.isValid(id) else {
            throw Problem.notFound("No pack has that id (pack ids \(Slug.rule)).")
        }
        return id
    }

    func respond(_ result: WriteResult<StoredPack>, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.eTag] = result.value.eTag
        headers[.catalogVersion] = String(result.catalogVersion)
        headers[.cacheControl] = "no-store"
        if status == .created { headers[.location] = "/v1/admin/packs/\(result.value.id)" }
        let bytes = PackDocument.bytes(result.value, baseURL: publicBaseURL, catalogVersion: result.catalogVersion)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func ifMatch(_ request: Request) -> Set<Int>? {
        ConditionalRequest.matchedRevisions(ConditionalRequest.condition(.ifMatch, in: request.headers))
    }

    /// Validates an upload against the rules and the assets it refers to.
    func assemble(_ upload: Upload, expectedId: String?) async throws -> AssembledPack {
        let manifest = try ManifestParser.parse(upload.manifest, expectedId: expectedId)
        var stored = Set<String>()
        if case .stored(let sha) = manifest.tray { stored.insert(sha) }
        for sticker in manifest.stickers { if case .stored(let sha) = sticker.asset { stored.insert(sha) } }
        let assets = try await repository.storedAssets(stored)
        let files = upload.files
        return try await OffThePool.run { () throws(PackValidationError) in try PackAssembler.assemble(manifest: manifest, files: files, storedAssets: assets) }
    }

    static func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 50 }
        guard let value = Int(text), (1...CatalogLimits.maximumPageSize).contains(value) else {
            throw Problem.badRequest("limit must be a number from 1 to \(CatalogLimits.maximumPageSize).", errors: [FieldIssue(field: "limit", message: "must be 1–\(CatalogLimits.maximumPageSize)")])
        }
        return value
    }

    static func jsonArrayOfIDs(_ bytes: [UInt8], field: String) throws -> [String] {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw Problem.badRequest("The body is not valid JSON: \(error)")
        }
        guard case .array(let elements) = json else {
            throw Problem.badRequest("The body must be a JSON array of ids.", errors: [FieldIssue(field: field, message: "must be an array of ids")])
        }
        var ids: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let id) = element, Slug.isValid(id) else {
                throw Problem.validation([FieldIssue(field: "\(field)[\(index)]", message: "must be an id that \(Slug.rule)")])
            }
            ids.append(id)
        }
        return ids
    }

    // MARK: Routes

    func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let profile = try Self.profile(request)
        let upload = try await UploadReader.read(request)
        let assembled = try Self.check(try await assemble(upload, expectedId: nil), profile: profile)
        return respond(try await repository.create(assembled, actor: actor), status: .created)
    }

    func replace(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try packID(context)
        let profile = try Self.profile(request)
        let upload = try await UploadReader.read(request)
        let assembled = try Self.check(try await assemble(upload, expectedId: id), profile: profile)
        return respond(try await repository.replace(assembled, ifMatch: ifMatch(request), actor: actor))
    }

    /// `?profile=whatsapp|telegram` on an upload or import: that app's rules, checked before anything is stored.
    static func profile(_ request: Request) throws -> PackExport.Layout? {
        guard let text = request.uri.queryParameters.get("profile") else { return nil }
        guard let layout = PackExport.Layout(rawValue: text) else {
            throw Problem.badRequest("profile must be whatsapp or telegram.", errors: [FieldIssue(field: "profile", message: "is not whatsapp or telegram")])
        }
        return layout
    }

    /// The pack, or a 422 listing every rule of the profile's app it breaks.
    static func check(_ assembled: AssembledPack, profile: PackExport.Layout?) throws -> AssembledPack {
        guard let profile else { return assembled }
        let violations = PackExport.violations(assembled, layout: profile)
        guard violations.isEmpty else { throw Problem.breaks(profile, violations, nothing: "stored") }
        return assembled
    }

    func patch(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try packID(context)
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard mediaType == "application/merge-patch+json" || mediaType == "application/json" else {
            throw Problem.unsupportedMediaType("PATCH takes a JSON merge patch: application/merge-patch+json or application/json.")
        }
        let body = try await UploadReader.collect(request.body, limit: CatalogLimits.maximumManifestBytes)
        let patch = try ManifestParser.parsePatch(body)
        return respond(try await repository.patch(id: id, patch, ifMatch: ifMatch(request), actor: actor))
    }

    func archive(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try packID(context)
        return respond(try await repository.archive(id: id, ifMatch: ifMatch(request), actor: actor))
    }

    /// Deletes an archived pack for good; If-Match is required (deleting is not undone).
    func purge(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try packID(context)
        // `If-Match: *` is a condition too (whatever revision is current).
        guard ConditionalRequest.condition(.ifMatch, in: request.headers) != nil else {
            throw Problem(.preconditionRequired, type: "urn:catalog-service:problem:if-match-required", title: "If-Match is required",
                          detail: "Deleting pack \(id) for good needs the ETag it was read with (GET /v1/admin/packs/\(id)).")
        }
        let version = try await repository.purge(id: id, ifMatch: ifMatch(request), actor: actor)
        var headers = HTTPFields()
        headers[.catalogVersion] = String(version)
        headers[.cacheControl] = "no-store"
        return Response(status: .noContent, headers: headers)
    }

    func show(_ context: AppRequestContext) async throws -> Response {
        let id = try packID(context)
        guard let pack = try await repository.pack(id: id) else { throw Problem.notFound("Pack \(id) does not exist.") }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.eTag] = pack.eTag
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: PackDocument.bytes(pack, baseURL: publicBaseURL, catalogVersion: nil))))
    }

    /// `GET /v1/admin/packs/{id}/export?layout=whatsapp|telegram`: the pack as a zip in that app's layout, or 422
    /// listing every rule of the app it breaks (PackExport).
    func export(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try packID(context)
        let layoutText = request.uri.queryParameters.get("layout") ?? ""
        guard let layout = PackExport.Layout(rawValue: layoutText) else {
            throw Problem.badRequest("layout must be whatsapp or telegram.", errors: [FieldIssue(field: "layout", message: layoutText.isEmpty ? "is required" : "is not whatsapp or telegram")])
        }
        guard let pack = try await repository.pack(id: id) else { throw Problem.notFound("Pack \(id) does not exist.") }
        let violations = PackExport.violations(pack, layout: layout)
        guard violations.isEmpty else { throw Problem.breaks(layout, violations, nothing: "exported") }
        var bytes: [String: [UInt8]] = [:]
        for sha in Set([pack.tray.sha256] + pack.stickers.map(\.asset.sha256)) {
            guard let asset = try await repository.assetBytes(sha256: sha) else { throw StoreError.unavailable }
            bytes[sha] = asset
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/zip"
        headers[.contentDisposition] = "attachment; filename=\"\(id)-\(layout.rawValue).zip\""
        headers[.eTag] = "\"r\(pack.revision)-\(layout.rawValue)\""
        headers[.cacheControl] = "no-store"
        let archive = PackExport.archive(PackExport.files(pack, layout: layout, bytes: bytes))
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: archive)))
    }

    func list(_ request: Request) async throws -> Response {
        let page = try await repository.packs(after: request.uri.queryParameters.get("cursor"), limit: try Self.limit(request))
        var writer = JSONWriter(capacity: 4096)
        writer.object { object in
            object.member("items") { items in
                items.array(page.items) { array, pack in PackDocument.write(pack, baseURL: publicBaseURL, catalogVersion: nil, to: &array) }
            }
            object.member("nextCursor", page.nextCursor)
        }
        return Self.json(writer.bytes)
    }

    func audit(_ request: Request) async throws -> Response {
        let page = try await repository.audit(after: request.uri.queryParameters.get("cursor"), limit: try Self.limit(request))
        var writer = JSONWriter(capacity: 4096)
        writer.object { object in
            object.member("items") { items in
                items.array(page.items) { array, entry in
                    array.object { item in
                        item.member("action", entry.action)
                        item.member("actor", entry.actor)
                        item.member("at", ISO8601.format(entry.at))
                        item.member("entity", entry.entity)
                        item.member("id", entry.id)
                        item.member("summary", entry.summary)
                    }
                }
            }
            object.member("nextCursor", page.nextCursor)
        }
        return Self.json(writer.bytes)
    }

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, catalogVersion: Int64? = nil) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        if let catalogVersion { headers[.catalogVersion] = String(catalogVersion) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func reorderPacks(_ request: Request) async throws -> Response {
        let ids = try Self.jsonArrayOfIDs(try await UploadReader.collect(request.body, limit: 1024 * 1024), field: "order")
        let result = try await repository.reorderPacks(ids, actor: actor)
        var writer = JSONWriter()
        writer.object { object in
            object.member("catalogVersion", result.catalogVersion)
            object.member("order", result.value)
        }
        return Self.json(writer.bytes, catalogVersion: result.catalogVersion)
    }

    func reorderStickers(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try packID(context)
        let ids = try Self.jsonArrayOfIDs(try await UploadReader.collect(request.body, limit: 256 * 1024), field: "order")
        return respond(try await repository.reorderStickers(packId: id, order: ids, ifMatch: ifMatch(request), actor: actor))
    }

    func deleteSticker(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try packID(context)
        guard let stickerId = context.parameters.get("stickerId"), Slug.isValid(stickerId) else {
            throw Problem.notFound("No sticker has that id.")
        }
        return respond(try await repository.deleteSticker(packId: id, stickerId: stickerId, ifMatch: ifMatch(request), actor: actor))
    }

    /// Adds one sticker: multipart with a `sticker` part (JSON: id, file or sha256, emojis, keywords, label) and its
    /// image part.
    func addSticker(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try packID(context)
        let upload = try await UploadReader.read(request, manifestName: "sticker")
        let manifest = try ManifestParser.parseSticker(upload.manifest)
        var stored: [String: AssetDescriptor] = [:]
        if case .stored(let sha) = manifest.asset { stored = try await repository.storedAssets([sha]) }
        // Animation against the pack is checked by the repository, under the pack's row lock.
        let (files, storedAssets) = (upload.files, stored)
        let (sticker, blobs) = try await OffThePool.run { () throws(PackValidationError) in
            try PackAssembler.assembleSticker(manifest, files: files, storedAssets: storedAssets, packAnimated: nil)
        }
        return respond(try await repository.addSticker(packId: id, sticker, newAssets: blobs, ifMatch: ifMatch(request), actor: actor))
    }
}

extension Problem {
    /// 422: the pack breaks `app`'s rules (an export, or an upload with `?profile=`), each rule broken listed.
    static func breaks(_ app: PackExport.Layout, _ violations: [FieldIssue], nothing what: String) -> Problem {
        Problem(
            .unprocessableContent, type: kind("app-rules"), title: "The pack breaks \(app.appName)'s rules",
            detail: "Nothing was \(what): \(violations.count) rule\(violations.count == 1 ? "" : "s") of \(app.appName) broken; see errors.", errors: violations
        )
    }
}
