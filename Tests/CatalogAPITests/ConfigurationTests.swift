import CatalogAPI
import Foundation
import CatalogStore
import Testing

@Suite("Configuration comes from the environment, flags win, bad values name their variable")
struct ConfigurationTests {
    static let base = [
        "DATABASE_URL": "postgres://app:s%40cret@db.internal:6543/catalog",
        "ADMIN_TOKEN": "admin-token-0123456789", "GATEWAY_TOKEN": "gateway-token-0123456789",
        "OPENIM_WEBHOOK_SECRET": "webhook-secret-0123456789",
    ]

    func load(_ changes: [String: String?], overrides: [String: String] = [:], requirement: ServiceConfiguration.Requirement = .serve) throws(ConfigurationError) -> ServiceConfiguration {
        var environment = Self.base
        for (name, value) in changes { environment[name] = value }
        return try ServiceConfiguration.load(environment: environment, overrides: overrides, requirement: requirement)
    }

    @Test func defaults() throws {
        let configuration = try load([:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.publicBaseURL == "http://127.0.0.1:8080")
        #expect(configuration.logLevel == .info)
        #expect(configuration.databaseURL.endpoint == .tcp(host: "db.internal", port: 6543))
        #expect(configuration.databaseURL.username == "app")
        #expect(configuration.databaseURL.password == "s@cret")
        #expect(configuration.databaseURL.database == "catalog")
        #expect(configuration.databaseURL.tls == .prefer)
        #expect(configuration.catalogCacheControl == ServiceConfiguration.defaultCacheControl)
    }

    @Test func valuesAndFlagOverrides() throws {
        let configuration = try load(["PORT": "9000", "HOST": "0.0.0.0", "LOG_LEVEL": "DEBUG", "PUBLIC_BASE_URL": "https://cdn.example.com/stickers/"], overrides: ["PORT": "9100"])
        #expect(configuration.port == 9100)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.logLevel == .debug)
        #expect(configuration.publicBaseURL == "https://cdn.example.com/stickers")
    }

    @Test func unixSocketURL() throws {
        let url = try DatabaseURL("postgres://postgres@/catalog?host=/tmp/pg&sslmode=disable")
        #expect(url.endpoint == .unixSocket(path: "/tmp/pg/.s.PGSQL.5432"))
        #expect(url.tls == .disable)
    }

    @Test(arguments: [
        ("DATABASE_URL", nil as String?, ConfigurationError.missing("DATABASE_URL")),
        ("ADMIN_TOKEN", nil, .missing("ADMIN_TOKEN")),
        ("GATEWAY_TOKEN", "short", .invalid("GATEWAY_TOKEN", "must be at least 16 characters")),
        ("PORT", "70000", .invalid("PORT", "must be a number from 1 to 65535, not 70000")),
        ("PORT", "http", .invalid("PORT", "must be a number from 1 to 65535, not http")),
        ("LOG_LEVEL", "loud", .invalid("LOG_LEVEL", "must be one of trace, debug, info, notice, warning, error, critical")),
        ("PUBLIC_BASE_URL", "ftp://x", .invalid("PUBLIC_BASE_URL", "must be an http(s) origin with an optional path, e.g. https://cdn.example.com")),
        ("DATABASE_URL", "mysql://x/y", .invalid("DATABASE_URL", "scheme must be postgres:// or postgresql://, not mysql://")),
        ("DATABASE_URL", "postgres://host:5432/", .invalid("DATABASE_URL", "must name a database, as in postgres://host:5432/catalog")),
        ("DATABASE_URL", "postgres://h/db?sslmode=maybe", .invalid("DATABASE_URL", "sslmode must be disable, prefer or require, not maybe")),
        ("DATABASE_READ_URL", "postgres://standby:5432", .invalid("DATABASE_READ_URL", "must name a database, as in postgres://host:5432/catalog")),
        ("HTTP_MAX_CONNECTIONS", "0", .invalid("HTTP_MAX_CONNECTIONS", "must be a number of connections from 1 to 10000000")),
        ("HTTP_MAX_CONNECTIONS", "many", .invalid("HTTP_MAX_CONNECTIONS", "must be a number of connections from 1 to 10000000")),
    ])
    func badValuesNameTheirVariable(name: String, value: String?, expected: ConfigurationError) {
        #expect(throws: expected) { try load([name: value]) }
        #expect(expected.description.contains(name))
    }

    /// Unset, the connection cap follows the process's file-descriptor limit (`ConnectionCap.processLimit`).
    @Test func theConnectionCapIsOptional() throws {
        #expect(try load([:]).maximumConnections == nil)
        #expect(try load(["HTTP_MAX_CONNECTIONS": "5000"]).maximumConnections == 5000)
    }

    @Test func aStandbyIsOptionalAndPolledEverySecond() throws {
        let primaryOnly = try load([:])
        #expect(primaryOnly.databaseReadURL == nil)
        #expect(primaryOnly.catalogPollInterval == .seconds(5))
        let withStandby = try load(["DATABASE_READ_URL": "postgres://reader@standby.internal:5433/catalog"])
        #expect(withStandby.databaseReadURL?.endpoint == .tcp(host: "standby.internal", port: 5433))
        #expect(withStandby.databaseReadURL?.username == "reader")
        #expect(withStandby.catalogPollInterval == .seconds(1))
    }

    @Test func migrateNeedsOnlyTheDatabase() throws {
        let configuration = try load(["ADMIN_TOKEN": nil, "GATEWAY_TOKEN": nil, "OPENIM_WEBHOOK_SECRET": nil], requirement: .database)
        #expect(configuration.databaseURL.database == "catalog")
    }

    @Test func errorsNeverEchoThePassword() {
        #expect(throws: ConfigurationError.self) { try load(["DATABASE_URL": "postgres://u:hunter2hunter2@h:99999/db"]) }
        do {
            _ = try load(["DATABASE_URL": "postgres://u:hunter2hunter2@h:99999/db"])
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }

    static let s3: [String: String?] = [
        "ASSET_STORE": "s3", "S3_ENDPOINT": "http://minio:9000/", "S3_BUCKET": "stickers", "AWS_ACCESS_KEY_ID": "minio-access", "AWS_SECRET_ACCESS_KEY": "minio-secret",
    ]

    @Test func assetStoreDefaultsToPostgresAndReadsS3Settings() throws {
        #expect(try load([:]).assetStore == .postgres)
        let configuration = try load(Self.s3.merging(["S3_FORCE_PATH_STYLE": "true", "S3_PREFIX": "catalog/", "S3_REGION": "eu-west-1"]) { $1 })
        #expect(configuration.assetStore == .s3(S3Settings(
            endpoint: "http://minio:9000", region: "eu-west-1", bucket: "stickers", prefix: "catalog/", forcePathStyle: true,
            credentials: .init(accessKeyId: "minio-access", secretAccessKey: "minio-secret")
        )))
        let redirecting = try load(Self.s3.merging(["ASSET_DELIVERY": "redirect", "ASSET_PUBLIC_BASE_URL": "https://assets.example.com/catalog/"]) { $1 })
        guard case .s3(let settings) = redirecting.assetStore else { Issue.record("not s3"); return }
        #expect(settings.delivery == .redirect(base: "https://assets.example.com/catalog"))
    }

    @Test func s3CredentialsMayComeFromFiles() throws {
        let path = "/tmp/catalog-config-test-\(UInt64.random(in: 0...UInt64.max))"
        try "from-a-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try load(Self.s3.merging(["AWS_SECRET_ACCESS_KEY": nil, "AWS_SECRET_ACCESS_KEY_FILE": path]) { $1 })
        guard case .s3(let settings) = configuration.assetStore else { Issue.record("not s3"); return }
        #expect(settings.credentials.secretAccessKey == "from-a-file")
        #expect(throws: ConfigurationError.invalid("AWS_SECRET_ACCESS_KEY_FILE", "must name a readable UTF-8 file")) {
            try load(Self.s3.merging(["AWS_SECRET_ACCESS_KEY": nil, "AWS_SECRET_ACCESS_KEY_FILE": "/nonexistent/secret"]) { $1 })
        }
    }

    @Test(arguments: [
        (["ASSET_STORE": "disk"], "ASSET_STORE"), (["S3_BUCKET": nil], "S3_BUCKET"), (["S3_BUCKET": "Upper_Case"], "S3_BUCKET"),
        (["S3_ENDPOINT": "minio:9000"], "S3_ENDPOINT"), (["S3_ENDPOINT": "http://minio:9000/bucket"], "S3_ENDPOINT"),
        (["S3_PREFIX": "/abs"], "S3_PREFIX"), (["S3_FORCE_PATH_STYLE": "yes"], "S3_FORCE_PATH_STYLE"), (["AWS_ACCESS_KEY_ID": nil], "AWS_ACCESS_KEY_ID"),
        (["ASSET_DELIVERY": "cdn"], "ASSET_DELIVERY"), (["ASSET_DELIVERY": "redirect", "ASSET_PUBLIC_BASE_URL": "assets.example.com"], "ASSET_PUBLIC_BASE_URL"),
    ] as [([String: String?], String)])
    func badAssetStoreSettingsNameTheirVariable(changes: [String: String?], variable: String) {
        var environment = Self.s3
        for (name, value) in changes { environment[name] = value }
        do {
            _ = try load(environment)
            Issue.record("accepted \(changes)")
        } catch {
            #expect(error.description.contains(variable), "\(error.description)")
            #expect(!error.description.contains("minio-secret"))
        }
    }
}
