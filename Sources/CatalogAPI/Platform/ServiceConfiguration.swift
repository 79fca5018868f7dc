import CatalogCore
import CatalogStore
import Foundation
import Logging

/// Everything the service reads from its environment. Flags of the executable override the variables.
public struct ServiceConfiguration: Sendable {
    public var databaseURL: DatabaseURL
    /// A streaming standby of `databaseURL` for the snapshot and read-only queries (`DATABASE_READ_URL`); writes
    /// always go to the primary.
    public var databaseReadURL: DatabaseURL?
    public var host: String
    public var port: Int
    public var adminToken: String
    public var gatewayToken: String
    public var webhookSecret: String
    /// Origin (and optional path prefix) clients use to reach assets, without a trailing slash.
    public var publicBaseURL: String
    public var logLevel: Logger.Level
    /// `Cache-Control` of the catalog, pack and GIF-configuration documents.
    public var catalogCacheControl: String
    /// Connections in the PostgreSQL pool.
    public var databasePoolSize: Int
    /// How often each replica re-reads the catalog version, healing missed notifications.
    public var catalogPollInterval: Duration
    /// How long a connection may sit without reading or writing (slow bodies and slowloris clients are cut off).
    public var httpIdleTimeout: Duration
    /// The slowest a request may arrive once it has been arriving for the window (`HTTP_MIN_BYTES_PER_SECOND`,
    /// default 1024, 0 for no minimum; `HTTP_MIN_RATE_WINDOW_SECONDS`, default 10).
    public var minimumTransferRate = MinimumTransferRate()
    /// Most HTTP connections open at once (`HTTP_MAX_CONNECTIONS`; by default the process's file-descriptor limit
    /// less a reserve for the database pool and files): past it, new connections wait in the listen backlog.
    public var maximumConnections: Int?
    /// How often buffered sticker/GIF usage is written to PostgreSQL.
    public var usageFlushInterval: Duration
    /// How often the catalog's popular list is recomputed from usage.
    public var popularRefreshInterval: Duration
    /// OpenIM's object-storage origin (e.g. `http://minio:10005`): media URLs may use it even without https.
    public var storageOrigin: String?
    /// Users' libraries: caps and the packs a new user starts with (`LIBRARY_FAVORITES_CAP`, `LIBRARY_RECENTS_CAP`,
    /// `LIBRARY_DEFAULT_PACKS`).
    public var library = LibrarySettings()
    /// Where asset bytes live (`ASSET_STORE`, default `postgres`).
    public var assetStore: AssetStoreSetting = .postgres

    /// The shortest token accepted: 16 characters (about 96 bits when random).
    public static let minimumSecretLength = 16
    public static let defaultCacheControl = "public, max-age=60, stale-while-revalidate=300, stale-if-error=86400"

    public init(
        databaseURL: DatabaseURL, host: String = "127.0.0.1", port: Int = 8080, adminToken: String, gatewayToken: String,
        webhookSecret: String, publicBaseURL: String? = nil, logLevel: Logger.Level = .info,
        catalogCacheControl: String = ServiceConfiguration.defaultCacheControl, databasePoolSize: Int = 20,
        catalogPollInterval: Duration = .seconds(5), storageOrigin: String? = nil,
        usageFlushInterval: Duration = .seconds(1), popularRefreshInterval: Duration = .seconds(600),
        httpIdleTimeout: Duration = .seconds(30)
    ) {
        self.databaseURL = databaseURL
        self.host = host
        self.port = port
        self.adminToken = adminToken
        self.gatewayToken = gatewayToken
        self.webhookSecret = webhookSecret
        self.publicBaseURL = publicBaseURL ?? "http://\(host):\(port)"
        self.logLevel = logLevel
        self.catalogCacheControl = catalogCacheControl
        self.databasePoolSize = databasePoolSize
        self.catalogPollInterval = catalogPollInterval
        self.storageOrigin = storageOrigin
        self.usageFlushInterval = usageFlushInterval
        self.popularRefreshInterval = popularRefreshInterval
        self.httpIdleTimeout = httpIdleTimeout
    }

    /// Which settings a command needs.
    public enum Requirement: Sendable {
        /// `serve`: everything.
        case serve
        /// `migrate` and `seed`: the database (and the public URL, which has a default).
        case database
    }

    /// Reads the configuration from `environment`, with `overrides` (flag values keyed by variable name) winning.
    public static func load(
        environment: [String: String], overrides: [String: String] = [:], requirement: Requirement = .serve
    ) throws(ConfigurationError) -> ServiceConfiguration {
        func value(_ name: String) -> String? {
            if let override = overrides[name] { return override }
            guard let raw = environment[name], !raw.isEmpty else { return nil }
            return raw
        }
        func required(_ name: String) throws(ConfigurationError) -> String {
            guard let text = value(name) else { throw .missing(name) }
            return text
        }
        func secret(_ name: String) throws(ConfigurationError) -> String {
            if requirement == .database { return value(name) ?? String(repeating: "-", count: minimumSecretLength) }
            let text = try required(name)
            guard text.count >= minimumSecretLength else { throw .invalid(name, "must be at least \(minimumSecretLength) characters") }
            guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                throw .invalid(name, "must be printable ASCII without spaces")
            }
            return text
        }

        /// An http(s) origin with an optional path, without trailing slashes.
        /// A credential given as the variable or, for secrets mounted as files, as `NAME_FILE` (the file's content
        /// without its trailing newline). Never logged.
        func fileBacked(_ name: String) throws(ConfigurationError) -> String? {
            if let text = value(name) { return text }
            guard let path = value(name + "_FILE") else { return nil }
            guard let data = FileManager.default.contents(atPath: path), var text = String(data: data, encoding: .utf8) else {
                throw .invalid(name + "_FILE", "must name a readable UTF-8 file")
            }
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            guard !text.isEmpty else { throw .invalid(name + "_FILE", "names an empty file") }
            return text
        }

        func origin(_ name: String, example: String) throws(ConfigurationError) -> String? {
            guard let text = value(name) else { return nil }
            var trimmed = text
            while trimmed.hasSuffix("/") { trimmed.removeLast() }
            guard let components = URLComponents(string: trimmed), ["http", "https"].contains(components.scheme ?? ""),
                  let host = components.host, !host.isEmpty, components.query == nil, components.fragment == nil, components.user == nil else {
                throw .invalid(name, "must be an http(s) origin with an optional path, e.g. \(example)")
            }
            return trimmed
        }

        let databaseText = try required("DATABASE_URL")
        let databaseURL: DatabaseURL
        do {
            databaseURL = try DatabaseURL(databaseText)
        } catch {
            throw .invalid("DATABASE_URL", error.description)
        }
        var databaseReadURL: DatabaseURL?
        if let text = value("DATABASE_READ_URL") {
            do {
                databaseReadURL = try DatabaseURL(text)
            } catch {
                throw .invalid("DATABASE_READ_URL", error.description)
            }
        }
        let host = value("HOST") ?? "127.0.0.1"
        guard !host.isEmpty, host.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { throw .invalid("HOST", "must be a host name or IP address") }
        var port = 8080
        if let text = value("PORT") {
            guard let parsed = Int(text), (1...65535).contains(parsed) else { throw .invalid("PORT", "must be a number from 1 to 65535, not \(text)") }
            port = parsed
        }
        let publicBaseURL = try origin("PUBLIC_BASE_URL", example: "https://cdn.example.com") ?? "http://\(host):\(port)"
        var logLevel = Logger.Level.info
        if let text = value("LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw .invalid("LOG_LEVEL", "must be one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = level
        }
        var poolSize = 20
        if let text = value("DATABASE_POOL_SIZE") {
            guard let parsed = Int(text), (1...200).contains(parsed) else { throw .invalid("DATABASE_POOL_SIZE", "must be a number from 1 to 200") }
            poolSize = parsed
        }
        var cacheControl = defaultCacheControl
        if let text = value("CATALOG_CACHE_CONTROL") {
            guard text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
                throw .invalid("CATALOG_CACHE_CONTROL", "must be a header value of printable ASCII")
            }
            cacheControl = text
        }
        let storageOrigin = try origin("OPENIM_STORAGE_ORIGIN", example: "http://minio:10005")
        var popularSeconds = 600
        if let text = value("POPULAR_REFRESH_SECONDS") {
            guard let parsed = Int(text), (10...86_400).contains(parsed) else { throw .invalid("POPULAR_REFRESH_SECONDS", "must be a number from 10 to 86400") }
            popularSeconds = parsed
        }
        var minimumRate = MinimumTransferRate()
        if let text = value("HTTP_MIN_BYTES_PER_SECOND") {
            guard let parsed = Int(text), (0...100_000_000).contains(parsed) else { throw .invalid("HTTP_MIN_BYTES_PER_SECOND", "must be a number of bytes per second from 0 (no minimum) to 100000000") }
            minimumRate.bytesPerSecond = parsed
        }
        if let text = value("HTTP_MIN_RATE_WINDOW_SECONDS") {
            guard let parsed = Int(text), (1...600).contains(parsed) else { throw .invalid("HTTP_MIN_RATE_WINDOW_SECONDS", "must be a number from 1 to 600") }
            minimumRate.window = .seconds(parsed)
        }
        var configuration = ServiceConfiguration(
            databaseURL: databaseURL, host: host, port: port, adminToken: try secret("ADMIN_TOKEN"),
            gatewayToken: try secret("GATEWAY_TOKEN"), webhookSecret: try secret("OPENIM_WEBHOOK_SECRET"),
            publicBaseURL: publicBaseURL, logLevel: logLevel, catalogCacheControl: cacheControl, databasePoolSize: poolSize,
            storageOrigin: storageOrigin, popularRefreshInterval: .seconds(popularSeconds)
        )
        configuration.minimumTransferRate = minimumRate
        if let text = value("HTTP_MAX_CONNECTIONS") {
            guard let parsed = Int(text), (1...10_000_000).contains(parsed) else { throw .invalid("HTTP_MAX_CONNECTIONS", "must be a number of connections from 1 to 10000000") }
            configuration.maximumConnections = parsed
        }
        if let databaseReadURL {
            configuration.databaseReadURL = databaseReadURL
            // No NOTIFY reaches a standby's sessions: poll its catalog version often (a one-row read on the standby).
            configuration.catalogPollInterval = .seconds(1)
        }
        if let text = value("LIBRARY_FAVORITES_CAP") {
            guard let parsed = Int(text), (1...100).contains(parsed) else { throw .invalid("LIBRARY_FAVORITES_CAP", "must be a number from 1 to 100") }
            configuration.library.favoritesCap = parsed
        }
        if let text = value("LIBRARY_RECENTS_CAP") {
            guard let parsed = Int(text), (1...200).contains(parsed) else { throw .invalid("LIBRARY_RECENTS_CAP", "must be a number from 1 to 200") }
            configuration.library.recentsCap = parsed
        }
        switch value("ASSET_STORE") ?? "postgres" {
        case "postgres":
            configuration.assetStore = .postgres
        case "s3":
            guard let endpoint = try origin("S3_ENDPOINT", example: "https://s3.eu-west-1.amazonaws.com or http://minio:9000") else { throw .missing("S3_ENDPOINT") }
            guard URLComponents(string: endpoint)?.path.isEmpty ?? false else { throw .invalid("S3_ENDPOINT", "must be scheme, host and port only (the bucket is S3_BUCKET)") }
            let bucket = try required("S3_BUCKET")
            guard (3...63).contains(bucket.count), bucket.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }) else {
                throw .invalid("S3_BUCKET", "must be a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens")
            }
            let prefix = value("S3_PREFIX") ?? ""
            guard prefix.count <= 200, !prefix.hasPrefix("/"), prefix.unicodeScalars.allSatisfy({
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "/._-".unicodeScalars.contains($0)
            }) else {
                throw .invalid("S3_PREFIX", "must be at most 200 letters, digits and / . _ -, not starting with /")
            }
            var pathStyle = false
            if let text = value("S3_FORCE_PATH_STYLE") {
                guard ["true", "false"].contains(text) else { throw .invalid("S3_FORCE_PATH_STYLE", "must be true or false") }
                pathStyle = text == "true"
            }
            guard let accessKey = try fileBacked("AWS_ACCESS_KEY_ID") else { throw .missing("AWS_ACCESS_KEY_ID") }
            guard let secretKey = try fileBacked("AWS_SECRET_ACCESS_KEY") else { throw .missing("AWS_SECRET_ACCESS_KEY") }
            var settings = S3Settings(
                endpoint: endpoint, region: value("S3_REGION") ?? "us-east-1", bucket: bucket, prefix: prefix, forcePathStyle: pathStyle,
                credentials: .init(accessKeyId: accessKey, secretAccessKey: secretKey, sessionToken: try fileBacked("AWS_SESSION_TOKEN"))
            )
            switch value("ASSET_DELIVERY") ?? "service" {
            case "service": settings.delivery = .service
            case "redirect": settings.delivery = .redirect(base: try origin("ASSET_PUBLIC_BASE_URL", example: "https://assets.example.com/catalog"))
            case let other: throw .invalid("ASSET_DELIVERY", "must be service or redirect, not \(other)")
            }
            configuration.assetStore = .s3(settings)
        case let other:
            throw .invalid("ASSET_STORE", "must be postgres or s3, not \(other)")
        }
        if let text = value("LIBRARY_DEFAULT_PACKS") {
            let ids = text.isEmpty ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard ids.count <= configuration.library.packCap, ids.allSatisfy(Slug.isValid), Set(ids).count == ids.count else {
                throw .invalid("LIBRARY_DEFAULT_PACKS", "must be pack ids separated by commas (empty for none), each once, at most \(configuration.library.packCap)")
            }
            configuration.library.defaultPacks = ids
        }
        return configuration
    }
}

/// A setting that is missing or malformed; its description is the one line printed at start-up.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case missing(String)
    case invalid(String, String)

    public var description: String {
        switch self {
        case .missing(let name): return "configuration error: \(name) is not set"
        case .invalid(let name, let reason): return "configuration error: \(name) \(reason)"
        }
    }
}

/// Where asset bytes live: in PostgreSQL (each asset's row) or in an S3-compatible bucket.
public enum AssetStoreSetting: Sendable, Equatable {
    case postgres
    case s3(S3Settings)

    /// The storage this setting names.
    public func storage() -> any AssetStorage {
        switch self {
        case .postgres: PostgresAssetStorage()
        case .s3(let settings): S3AssetStorage(settings: settings)
        }
    }
}
