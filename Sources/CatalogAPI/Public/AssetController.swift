import CatalogCore
import CatalogStore
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
        if request.method == .head {
            headers[.contentLength] = String(bytes.count)
            return Response(status: .ok, headers: headers, body: ResponseBody())
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
