import CatalogCore
import CatalogStore
import Foundation
import HTTPTypes
import Hummingbird
import OpenIMContent

/// The media catalog: the gateway registers, reads and deletes rows; admins list and count them.
struct MediaController {
    let repository: any MediaRepository
    let storageOrigin: String?

    func routes() -> [Route] {
        [
            Route(.post, "/v1/media", .gateway) { request, _ in try await self.register(request) },
            Route(.get, "/v1/media/{id}", .gateway) { _, context in try await self.show(context) },
            Route(.delete, "/v1/media/{id}", .gateway) { _, context in try await self.delete(context) },
            Route(.get, "/v1/admin/media", .admin) { request, _ in try await self.list(request) },
            Route(.get, "/v1/admin/media/stats", .admin) { request, _ in try await self.stats(request) },
        ]
    }

    static func mediaID(_ context: AppRequestContext) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw Problem.notFound("No media file has that id (ids are UUIDs).")
        }
        return id
    }

    static func bytes(_ file: MediaFile) -> [UInt8] {
        var writer = JSONWriter(capacity: 768)
        file.write(to: &writer)
        return writer.bytes
    }

    func register(_ request: Request) async throws -> Response {
        let body = try await JSONRequest.body(request, limit: MediaRegistrationParser.maximumBodyBytes)
        let draft = try MediaRegistrationParser.parse(body, storageOrigin: storageOrigin)
        let (file, created) = try await repository.register(draft)
        var headers = HTTPFields()
        headers[.location] = "/v1/media/\(file.idString)"
        return JSONRequest.response(Self.bytes(file), status: created ? .created : .ok, headers: headers)
    }

    func show(_ context: AppRequestContext) async throws -> Response {
        let id = try Self.mediaID(context)
        guard let file = try await repository.media(id: id) else { throw Problem.notFound("Media \(id.uuidString.lowercased()) does not exist.") }
        if let deletedAt = file.deletedAt { throw Problem.mediaDeleted(file.idString, at: deletedAt) }
        return JSONRequest.response(Self.bytes(file))
    }

    func delete(_ context: AppRequestContext) async throws -> Response {
        _ = try await repository.delete(id: try Self.mediaID(context))
        return Response(status: .noContent)
    }

    func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = MediaFilter()
        var issues: [FieldIssue] = []
        if let owner = query.get("ownerUserId") {
            if (1...64).contains(owner.utf8.count) { filter.ownerUserId = owner } else { issues.append(FieldIssue(field: "ownerUserId", message: "must be 1 to 64 bytes")) }
        }
        if let kind = query.get("kind") {
            if let parsed = MediaFile.Kind(rawValue: kind) { filter.kind = parsed } else { issues.append(FieldIssue(field: "kind", message: "must be one of image, video, audio, file")) }
        }
        for (name, keyPath) in [("from", \MediaFilter.from), ("to", \MediaFilter.to)] {
            guard let text = query.get(name) else { continue }
            if let date = Self.date(text) { filter[keyPath: keyPath] = date } else {
                issues.append(FieldIssue(field: name, message: "must be a date (2026-11-25) or an RFC 3339 time (2026-11-25T10:00:00Z)"))
            }
        }
        if let from = filter.from, let to = filter.to, from >= to { issues.append(FieldIssue(field: "to", message: "must be after from")) }
        if let text = query.get("includeDeleted") {
            switch text {
            case "true": filter.includeDeleted = true
            case "false": filter.includeDeleted = false
            default: issues.append(FieldIssue(field: "includeDeleted", message: "must be true or false"))
            }
        }
        if !issues.isEmpty { throw Problem.badRequest("Some query parameters are not valid; see errors.", errors: issues) }
        let page = try await repository.list(filter, after: query.get("cursor"), limit: try AdminPackController.limit(request))
        var writer = JSONWriter(capacity: 1024 + page.items.count * 600)
        writer.object { object in
            object.member("items") { items in items.array(page.items) { array, file in file.write(to: &array) } }
            object.member("nextCursor", page.nextCursor)
        }
        return JSONRequest.response(writer.bytes)
    }

    /// Counts and bytes per kind per UTC day; `from` and `to` are days, both included, at most 366 days apart.
    func stats(_ request: Request) async throws -> Response {
        let (from, to) = try DayRange.parse(request)
        let stats = try await repository.stats(from: from, to: to.addingTimeInterval(86_400))
        var totals: [MediaFile.Kind: (count: Int64, bytes: Int64)] = [:]
        for row in stats {
            let total = totals[row.kind] ?? (0, 0)
            totals[row.kind] = (total.count + row.count, total.bytes + row.bytes)
        }
        var writer = JSONWriter(capacity: 512 + stats.count * 80)
        writer.object { object in
            object.member("days") { daysWriter in
                daysWriter.array(stats) { array, row in
                    array.object { item in
                        item.member("bytes", row.bytes)
                        item.member("count", row.count)
                        item.member("day", row.day)
                        item.member("kind", row.kind.rawValue)
                    }
                }
            }
            object.member("from", ISO8601.day(from))
            object.member("to", ISO8601.day(to))
            object.member("totals") { totalsWriter in
                totalsWriter.object { kinds in
                    for kind in MediaFile.Kind.allCases.sorted(by: { $0.rawValue < $1.rawValue }) {
                        let total = totals[kind] ?? (0, 0)
                        kinds.member(kind.rawValue) { $0.object { t in t.member("bytes", total.bytes); t.member("count", total.count) } }
                    }
                }
            }
        }
        return JSONRequest.response(writer.bytes)
    }

    /// A day or an RFC 3339 time.
    static func date(_ text: String) -> Date? {
        ISO8601.parseDay(text) ?? (text.utf8.count <= 40 ? ISO8601.parse(text) : nil)
    }
}

extension Problem {
    static func mediaDeleted(_ id: String, at deletedAt: Date) -> Problem {
        Problem(.gone, type: kind("media-deleted"), title: "Media file deleted", detail: "Media \(id) was deleted at \(ISO8601.format(deletedAt)).")
    }
}
