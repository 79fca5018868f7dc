import AsyncHTTPClient
import CatalogCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Where an S3-compatible bucket is and how to reach it (`ASSET_STORE=s3`).
public struct S3Settings: Sendable, Equatable {
    /// `https://s3.eu-west-1.amazonaws.com`, `http://minio:9000`, …: scheme, host and port, no path.
    public var endpoint: String
    public var region: String
    public var bucket: String
    /// Prepended to every key (`catalog/`), or empty.
    public var prefix: String
    /// `endpoint/bucket/key` (MinIO and most self-hosted stores) instead of `bucket.endpoint/key` (AWS's default).
    public var forcePathStyle: Bool
    public var credentials: SigV4Signer.Credentials
    /// How long one request to the store may take before the write or read it serves fails as unavailable.
    public var timeout: Duration
    /// How asset GETs are answered: the service reads the object and serves it, or redirects the client.
    public var delivery: Delivery = .service

    public enum Delivery: Sendable, Equatable {
        /// The service reads the object and answers with its bytes.
        case service
        /// 302 to `{base}/{key}` (a CDN or a public bucket) or, without a base, to a presigned GET of the store
        /// valid for `presignedSeconds`.
        case redirect(base: String?)
    }

    /// How long a presigned asset URL stays valid, and (less) how long clients may cache the redirect to it.
    public static let presignedSeconds = 3600
    public static let redirectCacheSeconds = 600

    public init(
        endpoint: String, region: String, bucket: String, prefix: String = "", forcePathStyle: Bool = false,
        credentials: SigV4Signer.Credentials, timeout: Duration = .seconds(10)
    ) {
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.prefix = prefix
        self.forcePathStyle = forcePathStyle
        self.credentials = credentials
        self.timeout = timeout
    }
}

/// Asset bytes as objects in an S3-compatible bucket, one per asset under `{prefix}{sha256}.{ext}`, written with
/// SigV4-signed PUTs before the database records them and read back with GETs.
public struct S3AssetStorage: AssetStorage {
    /// The store answered something other than success.
    public struct Failure: Error, CustomStringConvertible {
        public let operation: String
        public let status: UInt
        public let detail: String
        public var description: String { "S3 \(operation) answered \(status): \(detail)" }
    }

    public let settings: S3Settings
    let signer: SigV4Signer
    let client: HTTPClient
    /// Scheme, host and `:port` of `settings.endpoint`, read once (configuration has checked it is a URL).
    let endpoint: (scheme: String, host: String, port: String)?
    /// Largest object read back: assets are limited far below this at upload.
    static let maximumObjectBytes = 64 << 20

    public init(settings: S3Settings, client: HTTPClient = .shared) {
        self.settings = settings
        self.signer = SigV4Signer(credentials: settings.credentials, region: settings.region)
        self.client = client
        let parsed = URLComponents(string: settings.endpoint)
        endpoint = parsed.flatMap { url in
            guard let scheme = url.scheme, let host = url.host else { return nil }
            return (scheme, host, url.port.map { ":\($0)" } ?? "")
        }
    }

    /// The key an asset's bytes are stored under.
    public func key(for descriptor: AssetDescriptor) -> String {
        "\(settings.prefix)\(descriptor.sha256).\(descriptor.fileExtension)"
    }

    public func place(_ blob: AssetBlob) async throws -> AssetLocation {
        let key = key(for: blob.descriptor)
        // The asset's hash is the payload's: the store checks the bytes it received against it.
        _ = try await send("PUT", key: key, body: (blob.bytes, blob.descriptor.sha256, blob.descriptor.mime), expect: [200])
        return .object(key: key)
    }

    public func deliveryURL(key: String) -> String? {
        guard case .redirect(let base) = settings.delivery else { return nil }
        if let base { return "\(base)/\(SigV4Signer.encode(key, slash: false))" }
        guard let (scheme, host, path) = address(key: key) else { return nil }
        let query = signer.presignedQuery(method: "GET", path: path, host: host, expires: S3Settings.presignedSeconds, date: Date())
        return "\(scheme)://\(host)\(SigV4Signer.encode(path, slash: false))?\(query)"
    }

    /// Scheme, host (with port) and path of `key` (nil: the bucket) in the configured addressing style.
    func address(key: String?) -> (scheme: String, host: String, path: String)? {
        guard let (scheme, hostName, port) = endpoint else { return nil }
        if settings.forcePathStyle {
            return (scheme, "\(hostName)\(port)", "/\(settings.bucket)" + (key.map { "/\($0)" } ?? ""))
        }
        return (scheme, "\(settings.bucket).\(hostName)\(port)", "/" + (key ?? ""))
    }

    public func object(key: String) async throws -> [UInt8]? {
        let (status, body) = try await send("GET", key: key, expect: [200, 404])
        return status == 200 ? body : nil
    }

    /// One page of the objects under the configured prefix (ListObjectsV2): keys with their last-modified time,
    /// and the token of the next page (nil on the last).
    public func listObjects(continuation: String? = nil) async throws -> (objects: [(key: String, modified: Date)], next: String?) {
        var query: [(String, String)] = [("list-type", "2"), ("prefix", settings.prefix), ("max-keys", "1000")]
        if let continuation { query.append(("continuation-token", continuation)) }
        let (_, body) = try await send("GET", key: nil, query: query, expect: [200])
        return S3ListingReader.read(body)
    }

    /// Deletes the object at `key` (absent already is fine).
    public func deleteObject(key: String) async throws {
        _ = try await send("DELETE", key: key, expect: [200, 204, 404])
    }

    /// Creates the bucket (tests and first-time setups; an existing bucket of the caller's is fine).
    public func createBucket() async throws {
        _ = try await send("PUT", key: nil, expect: [200, 409])
    }

    /// Sends one signed request to the bucket (`key` nil: the bucket itself), with `body` (its bytes, their hex
    /// SHA-256 and type) or none; the status and body of an expected answer, or `Failure`.
    func send(
        _ method: String, key: String?, query: [(String, String)] = [], body: (bytes: [UInt8], sha256: String, contentType: String)? = nil, expect: Set<UInt>
    ) async throws -> (UInt, [UInt8]) {
        guard let (scheme, host, path) = address(key: key) else {
            throw Failure(operation: method, status: 0, detail: "S3_ENDPOINT is not a URL")
        }
        let payloadHash = body?.sha256 ?? SigV4Signer.emptyPayloadHash
        var headers: [(String, String)] = [("host", host), ("x-amz-content-sha256", payloadHash)]
        if let body { headers.append(("content-type", body.contentType)) }
        let signature = signer.sign(method: method, path: path, query: query, headers: headers, payloadHash: payloadHash, date: Date())
        let queryText = query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(query)
        var request = HTTPClientRequest(url: "\(scheme)://\(host)\(SigV4Signer.encode(path, slash: false))\(queryText)")
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers + signature.headers.map({ ($0.name, $0.value) }) { request.headers.replaceOrAdd(name: name, value: value) }
        if let body {
            request.headers.replaceOrAdd(name: "content-length", value: String(body.bytes.count))
            request.body = .bytes(ByteBuffer(bytes: body.bytes))
        }
        let response = try await client.execute(request, timeout: TimeAmount(settings.timeout))
        let received = try await response.body.collect(upTo: Self.maximumObjectBytes)
        let status = response.status.code
        guard expect.contains(status) else {
            throw Failure(operation: method, status: status, detail: String(decoding: received.readableBytesView.prefix(300), as: UTF8.self))
        }
        return (status, Array(received.readableBytesView))
    }
}

/// Reads the few elements of a ListObjectsV2 answer the sweep needs, without an XML library (FoundationXML would
/// tie the binary to libxml2): each `<Contents>`'s `<Key>` and `<LastModified>`, and `<NextContinuationToken>`.
/// Keys are taken only when they need no XML unescaping — every key this service writes is letters, digits and
/// `/._-` — so a key of anyone else's is skipped, never misread.
enum S3ListingReader {
    static func read(_ body: [UInt8]) -> (objects: [(key: String, modified: Date)], next: String?) {
        let text = String(decoding: body, as: UTF8.self)
        var objects: [(key: String, modified: Date)] = []
        for contents in elements("Contents", in: text) {
            guard let key = elements("Key", in: contents).first, !key.contains("&"),
                  let modifiedText = elements("LastModified", in: contents).first, let modified = ISO8601.parse(modifiedText) else { continue }
            objects.append((key, modified))
        }
        let truncated = elements("IsTruncated", in: text).first == "true"
        let next = truncated ? elements("NextContinuationToken", in: text).first.map(unescape) : nil
        return (objects, next)
    }

    /// The text of every `<name>…</name>` in `text`, in order.
    static func elements(_ name: String, in text: String) -> [String] {
        var found: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<\(name)>"), let close = rest.range(of: "</\(name)>", range: open.upperBound..<rest.endIndex) {
            found.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return found
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}
