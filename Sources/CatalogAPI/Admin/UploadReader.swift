import CatalogCore
import Foundation
import Hummingbird
import MultipartKit
import NIOCore

/// A pack upload as received: the manifest's bytes and the files that came with it.
struct Upload {
    var manifest: [UInt8]
    var files: [UploadedFile]
}

/// Reads pack uploads — multipart/form-data, a zip body, or a bare JSON manifest — counting bytes while streaming
/// so an oversized body is refused (413) as soon as it crosses the limit, never after buffering it all.
enum UploadReader {
    static let maximumParts = 200
    static let maximumHeadersPerPart = 16
    static let maximumHeaderBytes = 2048
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
        var bytes: [UInt8] = []
        for try await chunk in body {
            guard bytes.count + chunk.readableBytes <= limit else { throw Problem.payloadTooLarge(limit: limit) }
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }

    static func boundary(of contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = pair[1]
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    /// Parses `form-data; name="x"; filename="y"` into its parameters.
    static func dispositionParameters(_ value: String) -> [String: String] {
        var result: [String: String] = [:]
        var bytes = Substring(value)
        // Skip the disposition type.
        guard let semicolon = bytes.firstIndex(of: ";") else { return result }
        bytes = bytes[bytes.index(after: semicolon)...]
        while !bytes.isEmpty {
            bytes = bytes.drop(while: { $0 == " " || $0 == "\t" || $0 == ";" })
            guard let equals = bytes.firstIndex(of: "=") else { break }
            let name = bytes[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            bytes = bytes[bytes.index(after: equals)...]
            var parameter = ""
            if bytes.first == "\"" {
                bytes = bytes.dropFirst()
                var escaped = false
                while let character = bytes.first {
                    bytes = bytes.dropFirst()
                    if escaped { parameter.append(character); escaped = false; continue }
                    if character == "\\" { escaped = true; continue }
                    if character == "\"" { break }
                    parameter.append(character)
                }
            } else {
                let end = bytes.firstIndex(of: ";") ?? bytes.endIndex
                parameter = bytes[..<end].trimmingCharacters(in: .whitespaces)
                bytes = bytes[end...]
            }
            result[name] = parameter
        }
        return result
    }

    /// One part being read.
    struct PartState {
        var headers: [(String, String)] = []
        var body: [UInt8] = []
    }

    static func multipart(_ request: Request, contentType: String, manifestName: String, limit: Int) async throws -> Upload {
        guard let boundary = boundary(of: contentType) else {
            throw Problem.badRequest("Content-Type multipart/form-data needs a boundary parameter of 1 to 70 characters.")
        }
        let parser = MultipartParser(boundary: boundary)
        var parts: [PartState] = []
        var current = PartState()
        var headerProblem: String?
        parser.onHeader = { name, value in
            if current.headers.count >= maximumHeadersPerPart || name.utf8.count + value.utf8.count > maximumHeaderBytes {
                headerProblem = "a multipart part has more than \(maximumHeadersPerPart) headers or a header over \(maximumHeaderBytes) bytes"
                return
            }
            current.headers.append((name, value))
        }
        parser.onBody = { buffer in
            current.body.append(contentsOf: buffer.readableBytesView)
            buffer.moveReaderIndex(to: buffer.writerIndex)
        }
        parser.onPartComplete = {
            parts.append(current)
            current = PartState()
        }
        var received = 0
        // The closing delimiter must arrive: keep the tail of the body to check for it at the end.
        let closing = Array("--\(boundary)--".utf8)
        var tail: [UInt8] = []
        for try await chunk in request.body {
            received += chunk.readableBytes
            guard received <= limit else { throw Problem.payloadTooLarge(limit: limit) }
            do {
                try parser.execute(chunk)
            } catch {
                throw Problem.badRequest("The multipart body is malformed.")
            }
            if let headerProblem { throw Problem.badRequest(headerProblem) }
            if parts.count > maximumParts { throw Problem.badRequest("The multipart body has more than \(maximumParts) parts.") }
            tail.append(contentsOf: chunk.readableBytesView.suffix(closing.count + 64))
            if tail.count > closing.count + 64 { tail.removeFirst(tail.count - closing.count - 64) }
        }
        while let last = tail.last, last == 0x0D || last == 0x0A || last == 0x20 || last == 0x09 { tail.removeLast() }
        guard tail.count >= closing.count, Array(tail.suffix(closing.count)) == closing else {
            throw Problem.badRequest("The multipart body ends before its closing boundary --\(boundary)--.")
        }
        guard !parts.isEmpty else { throw Problem.badRequest("The multipart body has no parts.") }

        var manifest: [UInt8]?
        var files: [UploadedFile] = []
        var names = Set<String>()
        for part in parts {
            let disposition = part.headers.first(where: { $0.0.lowercased() == "content-disposition" })?.1 ?? ""
            let parameters = dispositionParameters(disposition)
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
                let declared = part.headers.first(where: { $0.0.lowercased() == "content-type" })?.1
                files.append(UploadedFile(name: name, declaredType: declared, bytes: part.body))
            }
        }
        guard let manifest else {
            throw Problem.badRequest("The multipart body has no \"\(manifestName)\" part.", errors: [FieldIssue(field: manifestName, message: "is required")])
        }
        guard !manifest.isEmpty else {
            throw Problem.badRequest("The \"\(manifestName)\" part is empty.", errors: [FieldIssue(field: manifestName, message: "is empty")])
        }
        return Upload(manifest: manifest, files: files)
    }

    static func zip(_ bytes: [UInt8], manifestName: String) throws -> Upload {
        // Typed-throws results rather than do/catch: the compiler crashed on a typed catch here (Swift 6.3.1).
        let archive: ZipArchive
        switch Result(catching: { () throws(ZipError) in try ZipArchive(bytes: bytes) }) {
        case .success(let opened): archive = opened
        case .failure(.tooLarge), .failure(.tooManyEntries): throw Problem.payloadTooLarge(limit: CatalogLimits.maximumZipInflatedBytes)
        case .failure(let error):
            throw Problem.validation([FieldIssue(field: "zip", message: error.description)], detail: "The zip archive was refused before anything was inflated.")
        }
        var manifest: [UInt8]?
        var files: [UploadedFile] = []
        for entry in archive.entries {
            let contents: [UInt8]
            switch Result(catching: { () throws(ZipError) in try archive.contents(of: entry) }) {
            case .success(let inflated): contents = inflated
            case .failure(let error): throw Problem.validation([FieldIssue(field: entry.name, message: error.description)])
            }
            if entry.name == "\(manifestName).json" {
                manifest = contents
            } else {
                files.append(UploadedFile(name: entry.name, declaredType: nil, bytes: contents))
            }
        }
        guard let manifest else {
            throw Problem.validation([FieldIssue(field: "\(manifestName).json", message: "is missing from the zip")])
        }
        return Upload(manifest: manifest, files: files)
    }
}
