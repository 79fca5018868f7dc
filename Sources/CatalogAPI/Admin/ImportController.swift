import CatalogCore
import CatalogStore
import Foundation
import HTTPTypes
import Hummingbird
import OpenIMContent

/// `POST /v1/admin/imports`: packs in WhatsApp's, .wastickers' or Telegram's layout (PackImport), one or several per
/// upload, each stored on its own (all or nothing per pack) through the same rules as any upload, with a report per
/// pack. The body is a zip (any of the layouts, or an archive of .wastickers/zip files), or multipart with zip or
/// .wastickers parts and loose files named by their paths. Imported packs are drafts unless `?status=published`;
/// `?profile=whatsapp|telegram` refuses a pack that breaks that app's rules (the pack, not the upload).
struct ImportController {
    let repository: any PackRepository
    let actor = Actor.admin

    func routes() -> [Route] {
        [Route(.post, "/v1/admin/imports", .admin) { request, _ in try await self.importPacks(request) }]
    }

    /// One pack's outcome.
    struct Outcome {
        var draft: PackImport.Draft?
        var layout: PackImport.Layout?
        var source: String
        var id: String?
        var catalogVersion: Int64?
        var issues: [FieldIssue] = []
    }

    func importPacks(_ request: Request) async throws -> Response {
        let profile = try AdminPackController.profile(request)
        let statusText = request.uri.queryParameters.get("status") ?? "draft"
        guard let status = PackStatus(rawValue: statusText), status != .archived else {
            throw Problem.badRequest("status must be draft or published.", errors: [FieldIssue(field: "status", message: "must be draft or published")])
        }
        var outcomes: [Outcome] = []
        for archive in try await archives(request) {
            for read in PackImport.packs(in: archive.files, name: archive.name) {
                switch read {
                case .failure(let failure): outcomes.append(Outcome(layout: failure.layout, source: failure.source, issues: failure.issues))
                case .success(let draft): outcomes.append(await store(draft, status: status, profile: profile, taken: Set(outcomes.compactMap(\.id))))
                }
            }
        }
        let created = outcomes.filter { $0.issues.isEmpty }
        guard !created.isEmpty else {
            // Nothing stored: a problem naming every pack's faults, prefixed with the pack.
            let issues = outcomes.flatMap { outcome in outcome.issues.map { FieldIssue(field: "\(outcome.source): \($0.field)", message: $0.message) } }
            throw Problem.validation(issues, detail: "No pack was imported; see errors (each field starts with the pack it belongs to).")
        }
        var writer = JSONWriter(capacity: 1024)
        writer.object { root in
            root.member("created", created.count)
            root.member("packs") { list in
                list.array(outcomes) { element, outcome in
                    element.object { item in
                        item.member("catalogVersion", outcome.catalogVersion)
                        if !outcome.issues.isEmpty {
                            item.member("errors") { errors in
                                errors.array(outcome.issues) { entry, issue in
                                    entry.object { object in
                                        object.member("field", issue.field)
                                        object.member("message", issue.message)
                                    }
                                }
                            }
                        }
                        item.member("id", outcome.id)
                        item.member("layout", outcome.layout?.rawValue)
                        item.member("notes", outcome.draft?.notes ?? [])
                        item.member("source", outcome.source)
                        item.member("status", outcome.issues.isEmpty ? "created" : "refused")
                        item.member("stickers", outcome.issues.isEmpty ? outcome.draft?.stickers.count : nil)
                    }
                }
            }
            root.member("refused", outcomes.count - created.count)
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        if let version = created.compactMap(\.catalogVersion).max() { headers[.catalogVersion] = String(version) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }

    /// Settles the draft's id (the derived one, or with -2, -3 … when a pack or an earlier pack of this upload has
    /// it), then assembles and stores it.
    func store(_ draft: PackImport.Draft, status: PackStatus, profile: PackExport.Layout?, taken: Set<String>) async -> Outcome {
        var outcome = Outcome(draft: draft, layout: draft.layout, source: draft.source)
        do {
            var id = draft.proposedId
            var suffix = 1
            while taken.contains(id), suffix < 100 {
                suffix += 1
                id = "\(draft.proposedId)-\(suffix)"
            }
            while try await repository.pack(id: id) != nil, suffix < 100 {
                suffix += 1
                id = "\(draft.proposedId)-\(suffix)"
            }
            outcome.id = id
            let manifest = try ManifestParser.parse(draft.manifest(id: id, status: status))
            let files = draft.uploadedFiles
            let assembled = try await OffThePool.run { () throws(PackValidationError) in try PackAssembler.assemble(manifest: manifest, files: files, storedAssets: [:]) }
            if let profile {
                let violations = PackExport.violations(assembled, layout: profile)
                guard violations.isEmpty else { throw PackValidationError(.invalid, violations) }
            }
            outcome.catalogVersion = try await repository.create(assembled, actor: actor).catalogVersion
        } catch let error as PackValidationError {
            outcome.issues = error.issues
        } catch let error as StoreError {
            switch error {
            case .conflict(let issues), .invalid(let issues): outcome.issues = issues
            default: outcome.issues = [FieldIssue(field: "pack", message: "could not be stored: \(error)")]
            }
        } catch {
            outcome.issues = [FieldIssue(field: "pack", message: "could not be stored")]
        }
        if !outcome.issues.isEmpty { outcome.catalogVersion = nil }
        return outcome
    }

    /// The upload as archives of files: a zip body is one (its .wastickers/.zip entries each another), a multipart
    /// body's zip parts are one each and its other parts (named by path) one more.
    func archives(_ request: Request) async throws -> [(name: String, files: [UploadedFile])] {
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        var archives: [(name: String, files: [UploadedFile])] = []
        switch mediaType {
        case "application/zip", "application/x-zip-compressed":
            archives = try Self.unpack("upload.zip", try await UploadReader.collect(request.body, limit: CatalogLimits.maximumUploadBytes))
        case "multipart/form-data":
            let parts = try await UploadReader.multipart(request, contentType: contentType, manifestName: nil, limit: CatalogLimits.maximumUploadBytes).files
            var loose: [UploadedFile] = []
            for part in parts {
                if Self.isZip(part.bytes) { archives += try Self.unpack(part.name, part.bytes) } else { loose.append(part) }
            }
            if !loose.isEmpty { archives.append(("upload", loose)) }
        default:
            throw Problem.unsupportedMediaType("Send application/zip (a WhatsApp, .wastickers or Telegram layout, or a zip of .wastickers files) or multipart/form-data.")
        }
        guard !archives.isEmpty else { throw Problem.badRequest("The upload holds no files.") }
        return archives
    }

    static func isZip(_ bytes: [UInt8]) -> Bool { bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) }

    /// A zip's files; archives inside it (.wastickers and .zip entries) are unpacked as archives of their own, one
    /// level deep.
    static func unpack(_ name: String, _ bytes: [UInt8], nested: Bool = true) throws -> [(name: String, files: [UploadedFile])] {
        let files = try UploadReader.zipEntries(bytes, name: name)
        let (inner, rest) = nested ? (files.filter { isZip($0.bytes) }, files.filter { !isZip($0.bytes) }) : ([], files)
        var archives: [(name: String, files: [UploadedFile])] = []
        for archive in inner { archives += try unpack(archive.name, archive.bytes, nested: false) }
        if !rest.isEmpty { archives.append((name, rest)) }
        return archives
    }
}
