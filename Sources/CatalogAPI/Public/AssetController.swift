import CatalogCore
import CatalogStore
import Foundation
import HTTPTypes
import Hummingbird

/// `GET|HEAD /v1/assets/{sha256}[.ext]`: content-addressed images, cacheable forever.
struct AssetController {
    let repository: any PackRepository

    func routes() -> [Route] {
        [Route([.get, .head], "/v1/assets/{name}") { request, context in try await self.serve(request, context: context) }]
    }

    func serve(_ request: Request, context: AppRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        let parts = name.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let sha = String(parts[0])
        guard ManifestParser.isSHA256(sha) else { throw Problem.notFound("Assets are addressed by the SHA-256 of their bytes (64 lowercase hex digits).") }
        let eTag = "\"\(sha)\""
        var headers = HTTPFields()
        headers[.eTag] = eTag
        headers[.cacheControl] = "public, max-age=31536000, immutable"
        headers[.accessControlAllowOrigin] = "*"
        // The bytes are user uploads: never let a browser sniff or run them as anything but the image they are.
        headers[.xContentTypeOptions] = "nosniff"
        headers[.contentSecurityPolicy] = "default-src 'none'; sandbox"
        if ConditionalRequest.noneMatchFails(request.headers, current: eTag) == true {
            // The content never changes, so a matching tag is enough: no database round trip.
            return Response(status: .notModified, headers: headers)
        }
        guard let (descriptor, content) = try await repository.asset(sha256: sha) else { throw Problem.notFound("No asset \(sha).") }
        if parts.count == 2, parts[1].lowercased() != descriptor.fileExtension {
            throw Problem.notFound("Asset \(sha) is .\(descriptor.fileExtension), not .\(parts[1]).")
        }
        let bytes: [UInt8]
        switch content {
        case .bytes(let stored):
            bytes = stored
        case .redirect(let url):
            // The store (or the CDN in front of it) serves the bytes. A presigned URL expires, so the redirect is
            // cached for less than its lifetime; the asset URL clients hold never changes.
            var redirect = HTTPFields()
            redirect[.location] = url
            redirect[.cacheControl] = "public, max-age=\(S3Settings.redirectCacheSeconds)"
            redirect[.accessControlAllowOrigin] = "*"
            return Response(status: .found, headers: redirect)
        }
        headers[.contentType] = descriptor.mime
        headers[.acceptRanges] = "bytes"
        if request.method == .head {
            headers[.contentLength] = String(bytes.count)
            return Response(status: .ok, headers: headers, body: ResponseBody())
        }
        // One byte range (players and download managers resume with them); If-Range with another validator, or
        // several ranges, get the whole asset, as RFC 9110 §14.2 allows.
        if let range = request.headers[.range], request.headers[.ifRange].map({ $0 == eTag }) ?? true {
            switch Self.byteRange(range, length: bytes.count) {
            case .whole:
                break
            case .part(let part):
                headers[.contentRange] = "bytes \(part.lowerBound)-\(part.upperBound - 1)/\(bytes.count)"
                return Response(status: .partialContent, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes[part])))
            case .unsatisfiable:
                var problem = HTTPFields()
                problem[.contentRange] = "bytes */\(bytes.count)"
                throw Problem(.rangeNotSatisfiable, type: Problem.kind("range-not-satisfiable"), title: "Range not satisfiable",
                              detail: "Asset \(sha) has \(bytes.count) bytes; Range asked for \(range.prefix(100)).", headers: problem)
            }
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    enum RangeAnswer: Equatable {
        /// Serve everything: no range asked for that this service honours (malformed, several, another unit).
        case whole
        case part(Range<Int>)
        /// A well-formed single range that starts past the end (or an empty suffix): 416.
        case unsatisfiable
    }

    /// Reads `Range: bytes=first-last`, `bytes=first-` or `bytes=-suffix` against an asset of `length` bytes.
    static func byteRange(_ field: String, length: Int) -> RangeAnswer {
        guard field.hasPrefix("bytes=") else { return .whole }
        let spec = field.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let firstText = spec[..<dash], lastText = spec[spec.index(after: dash)...]
        func number(_ text: Substring) -> Int? {
            guard (1...18).contains(text.count), text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return Int(text)
        }
        if firstText.isEmpty {
            guard let suffix = number(lastText) else { return .whole }
            guard suffix > 0, length > 0 else { return .unsatisfiable }
            return .part(max(0, length - suffix)..<length)
        }
        guard let first = number(firstText) else { return .whole }
        let last: Int
        if lastText.isEmpty {
            last = length - 1
        } else {
            guard let given = number(lastText), given >= first else { return .whole }
            last = min(given, length - 1)
        }
        guard first < length else { return .unsatisfiable }
        return .part(first..<(last + 1))
    }
}
