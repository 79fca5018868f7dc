import CatalogCore
import Foundation
import Hummingbird
import NIOCore

/// A pack upload as received: the manifest's bytes and the files that came with it.
struct Upload {
    var manifest: [UInt8]
    var files: [UploadedFile]
}

/// Reads pack uploads — multipart/form-data, a zip body, or a bare JSON manifest — counting bytes while streaming
/// so an oversized body is refused (413) as soon as it crosses the limit, never after buffering it all.
enum UploadReader {
    /// Part names that stand for "a file"; such parts are keyed by their file name instead.
    static let genericFileNames: Set<String> = ["file", "files", "file[]", "files[]", "image", "images", "images[]"]

    /// Reads a pack upload whose manifest is the part (or zip entry) named `manifestName`.
    static func read(_ request: Request, manifestName: String = "manifest", limit: Int = CatalogLimits.maximumUploadBytes) async throws -> Upload {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Problem.payloadTooLarge(limit: limit)
        }
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch mediaType {
        case "multipart/form-data":
            return try await multipart(request, contentType: contentType, manifestName: manifestName, limit: limit)
        case "application/zip", "application/x-zip-compressed":
            return try zip(try await collect(request.body, limit: limit), manifestName: manifestName)
        case "application/json":
            return Upload(manifest: try await collect(request.body, limit: CatalogLimits.maximumManifestBytes), files: [])
        default:
            throw Problem.unsupportedMediaType(
                "Send multipart/form-data (a \(manifestName) part plus one part per image), application/zip (with \(manifestName).json) or application/json (a manifest that refers to stored assets by sha256)."
            )
        }
    }

    /// Collects a body, refusing it with 413 the moment it passes `limit`.
    static func collect(_ body: RequestBody, limit: Int) async throws -> [UInt8] {
        ContinueSignal.bodyWanted()
        var bytes: [UInt8] = []
        for try await chunk in body {
            guard bytes.count + chunk.readableBytes <= limit else { throw Problem.payloadTooLarge(limit: limit) }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }

    /// Reads a multipart/form-data body with our own strict reader (`MultipartForm`): the body is collected under
    /// the upload limit (413 while streaming) and every byte is checked before it is used.
    /// `manifestName` nil: every part is a file (imports), and the upload's manifest is empty.
    static func multipart(_ request: Request, contentType: String, manifestName: String?, limit: Int) async throws -> Upload {
        guard let boundary = MultipartForm.boundary(ofContentType: contentType) else {
            throw Problem.badRequest("Content-Type multipart/form-data needs a boundary parameter of 1 to 70 printable characters.")
        }
        let body = try await collect(request.body, limit: limit)
        let parts: [MultipartPart]
        switch Result(catching: { () throws(MultipartError) in try MultipartForm.parts(of: body, boundary: boundary) }) {
        case .success(let read): parts = read
        case .failure(let error): throw Problem.badRequest("The multipart body is malformed: \(error.description).")
        }
        var manifest: [UInt8]?
        var files: [UploadedFile] = []
        var names = Set<String>()
        for part in parts {
            let parameters = MultipartForm.dispositionParameters(part.header("content-disposition") ?? "")
            guard var name = parameters["name"], !name.isEmpty else {
                throw Problem.badRequest("Every multipart part needs Content-Disposition: form-data; name=\"…\".")
            }
            if genericFileNames.contains(name), let fileName = parameters["filename"], !fileName.isEmpty {
                name = fileName
            }
            guard names.insert(name).inserted else { throw Problem.badRequest("The multipart part \"\(name)\" appears twice.") }
            if name == manifestName {
                manifest = part.body
            } else {
                files.append(UploadedFile(name: name, declaredType: part.header("content-type"), bytes: part.body))
            }
        }
        guard let manifestName else { return Upload(manifest: [], files: files) }
        guard let manifest else {
            throw Problem.badRequest("The multipart body has no \"\(manifestName)\" part.", errors: [FieldIssue(field: manifestName, message: "is required")])
        }
        guard !manifest.isEmpty else {
            throw Problem.badRequest("The \"\(manifestName)\" part is empty.", errors: [FieldIssue(field: manifestName, message: "is empty")])
        }
        return Upload(manifest: manifest, files: files)
    }

    static func zip(_ bytes: [UInt8], manifestName: String) throws -> Upload {
        var manifest: [UInt8]?
        var files: [UploadedFile] = []
        for entry in try zipEntries(bytes, name: "zip") {
            if entry.name == "\(manifestName).json" {
                manifest = entry.bytes
            } else {
                files.append(entry)
            }
        }
        guard let manifest else {
            throw Problem.validation([FieldIssue(field: "\(manifestName).json", message: "is missing from the zip")])
        }
        return Upload(manifest: manifest, files: files)
    }

    /// Every entry of the zip `bytes` (named `name` in errors), inflated within the zip limits.
    static func zipEntries(_ bytes: [UInt8], name: String) throws -> [UploadedFile] {
        // Typed-throws results rather than do/catch: the compiler crashed on a typed catch here (Swift 6.3.1).
        let archive: ZipArchive
        switch Result(catching: { () throws(ZipError) in try ZipArchive(bytes: bytes) }) {
        case .success(let opened): archive = opened
        case .failure(.tooLarge), .failure(.tooManyEntries): throw Problem.payloadTooLarge(limit: CatalogLimits.maximumZipInflatedBytes)
        case .failure(let error):
            throw Problem.validation([FieldIssue(field: name, message: error.description)], detail: "The zip archive was refused before anything was inflated.")
        }
        var files: [UploadedFile] = []
        for entry in archive.entries {
            switch Result(catching: { () throws(ZipError) in try archive.contents(of: entry) }) {
            case .success(let inflated): files.append(UploadedFile(name: entry.name, declaredType: nil, bytes: inflated))
            case .failure(let error): throw Problem.validation([FieldIssue(field: entry.name, message: error.description)])
            }
        }
        return files
    }
}
