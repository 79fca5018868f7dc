import CatalogCore
import CatalogStore
import Foundation
import HTTPTypes
import OpenIMContent

/// How a resolved item is encoded.
enum ResolveFormat: String, Sendable, CaseIterable {
    /// 110 custom with our payload: every client of ours renders it exactly.
    case custom
    /// 102 picture: stock OpenIM clients render stickers, GIFs and images natively.
    case picture
    /// 115 face as OpenIM's demo clients send it: for SDK-side sends only.
    case face
    /// OpenIM's own elem for the item: picture for stickers, GIFs and images, video, sound or file for other media.
    case native
}

/// A reference the gateway asks to resolve.
enum ItemReference: Sendable {
    case sticker(String)
    case media(UUID)
    case gif(JSONValue)

    static let stickerFields: Set<String> = ["kind", "id"]

    /// Reads `{"kind": "sticker"|"media"|"gif", …}`; the problem names the field under `path`.
    static func parse(_ json: JSONValue, path: String) -> Result<ItemReference, Problem> {
        guard case .object(let members) = json else {
            return .failure(.validation([FieldIssue(field: path, message: "must be an object with a kind")]))
        }
        guard case .string(let kind)? = json["kind"] else {
            return .failure(.validation([FieldIssue(field: "\(path).kind", message: "is required: sticker, media or gif")]))
        }
        switch kind {
        case "sticker", "media":
            let unknown = members.filter { !stickerFields.contains($0.key) }.map { FieldIssue(field: "\(path).\($0.key)", message: "is not a known field") }
            if !unknown.isEmpty { return .failure(.validation(unknown)) }
            guard case .string(let id)? = json["id"] else {
                return .failure(.validation([FieldIssue(field: "\(path).id", message: "is required: the \(kind)'s id")]))
            }
            if kind == "sticker" {
                guard Slug.isValid(id) else { return .failure(.itemNotFound("No sticker \(String(id.prefix(64))) (sticker ids \(Slug.rule)).")) }
                return .success(.sticker(id))
            }
            guard let uuid = UUID(uuidString: id) else { return .failure(.itemNotFound("No media \(String(id.prefix(64))) (media ids are UUIDs).")) }
            return .success(.media(uuid))
        case "gif":
            return .success(.gif(json))
        default:
            return .failure(.validation([FieldIssue(field: "\(path).kind", message: "must be sticker, media or gif")]))
        }
    }
}

/// Turns references into OpenIM content. Stickers and GIFs come from the in-memory snapshot (a lookup and an
/// encode); media rows are read from PostgreSQL, all of a batch in one query.
struct ContentResolver: Sendable {
    let snapshots: CatalogSnapshotStore
    let media: any MediaRepository

    func snapshot() throws -> CatalogSnapshot {
        guard let snapshot = snapshots.current else { throw Problem.unavailable("The catalog is loading; retry shortly.") }
        return snapshot
    }

    /// Resolves each reference in order; one item's failure does not fail the others.
    func resolve(
        _ references: [Result<ItemReference, Problem>], paths: [String], format: ResolveFormat, text: FallbackText, snapshot: CatalogSnapshot
    ) async throws -> [Result<MessageContent, Problem>] {
        var mediaIds: [UUID] = []
        for case .success(.media(let id)) in references { mediaIds.append(id) }
        let files = mediaIds.isEmpty ? [:] : try await media.media(ids: mediaIds)
        return resolve(references, paths: paths, format: format, text: text, snapshot: snapshot, files: files)
    }

    /// The same without PostgreSQL: nil when a reference names media.
    func resolveFromMemory(
        _ references: [Result<ItemReference, Problem>], paths: [String], format: ResolveFormat, text: FallbackText, snapshot: CatalogSnapshot
    ) -> [Result<MessageContent, Problem>]? {
        for case .success(.media) in references { return nil }
        return resolve(references, paths: paths, format: format, text: text, snapshot: snapshot, files: [:])
    }

    private func resolve(
        _ references: [Result<ItemReference, Problem>], paths: [String], format: ResolveFormat, text: FallbackText, snapshot: CatalogSnapshot,
        files: [UUID: MediaFile]
    ) -> [Result<MessageContent, Problem>] {
        zip(references, paths).map { reference, path in
            switch reference {
            case .failure(let problem): return .failure(problem)
            case .success(let item): return content(of: item, path: path, format: format, text: text, snapshot: snapshot, files: files)
            }
        }
    }

    /// The payload of a sticker in the snapshot: 404 unknown, 410 withdrawn.
    static func sticker(_ id: String, in snapshot: CatalogSnapshot) -> Result<StickerPayload, Problem> {
        if let sticker = snapshot.stickers[id] { return .success(sticker.payload) }
        if let status = snapshot.withdrawnStickers[id] {
            return .failure(Problem(.gone, type: Problem.kind("sticker-unavailable"), title: "Sticker not published",
                                    detail: "Sticker \(id) belongs to a\(status == .archived ? "n archived" : " draft") pack."))
        }
        return .failure(.itemNotFound("No sticker \(id) in the catalog."))
    }

    func content(
        of item: ItemReference, path: String, format: ResolveFormat, text: FallbackText, snapshot: CatalogSnapshot, files: [UUID: MediaFile]
    ) -> Result<MessageContent, Problem> {
        let payload: CatalogPayload
        var file: MediaFile?
        switch item {
        case .sticker(let id):
            switch Self.sticker(id, in: snapshot) {
            case .success(let sticker): payload = .sticker(sticker)
            case .failure(let problem): return .failure(problem)
            }
        case .gif(let json):
            switch GIFItem.parse(json, path: path, configuration: snapshot.gifConfiguration) {
            case .success(let gif): payload = .gif(gif)
            case .failure(let error): return .failure(Problem(.unprocessableContent, type: Problem.kind("gif-not-allowed"), title: "GIF not allowed",
                                                              detail: "The GIF breaks the GIF configuration; see errors.", errors: error.issues))
            }
        case .media(let id):
            guard let found = files[id] else { return .failure(.itemNotFound("No media \(id.uuidString.lowercased()).")) }
            if let deletedAt = found.deletedAt { return .failure(.mediaDeleted(found.idString, at: deletedAt)) }
            file = found
            payload = .media(found.payload)
        }
        do {
            if format == .native {
                if let file { return .success(try file.nativeContent()) }
                return .success(.picture(try MessageEncoder.picture(payload)))
            }
            let encoderFormat: MessageEncoder.Format = format == .custom ? .custom : format == .picture ? .picture : .face
            return .success(try MessageEncoder.content(payload, format: encoderFormat, catalogVersion: snapshot.version, text: text))
        } catch {
            return .failure(Problem(.unprocessableContent, type: Problem.kind("not-encodable"), title: "Cannot encode the item",
                                    detail: "\(path) cannot be sent as \(format.rawValue): \(error)"))
        }
    }
}

extension Problem {
    static func itemNotFound(_ detail: String) -> Problem {
        Problem(.notFound, type: kind("item-not-found"), title: "No such item", detail: detail)
    }
}
