import ArgumentParser
import CatalogAPI
import CatalogStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// `catalog-service serve | migrate | seed | assets migrate --to s3`.
@main
struct CatalogServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog-service",
        abstract: "Sticker packs, GIF configuration and media catalog for an OpenIM-based chat product.",
        subcommands: [Serve.self, Migrate.self, Seed.self, Assets.self],
        defaultSubcommand: Serve.self
    )
}

/// Flags shared by every subcommand; each overrides the environment variable of the same meaning.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "Overrides DATABASE_URL.") var databaseURL: String?
    @Option(help: "Overrides HOST.") var host: String?
    @Option(help: "Overrides PORT.") var port: String?
    @Option(name: .customLong("public-base-url"), help: "Overrides PUBLIC_BASE_URL.") var publicBaseURL: String?
    @Option(name: .customLong("log-level"), help: "Overrides LOG_LEVEL.") var logLevel: String?

    var overrides: [String: String] {
        var result: [String: String] = [:]
        result["DATABASE_URL"] = databaseURL
        result["HOST"] = host
        result["PORT"] = port
        result["PUBLIC_BASE_URL"] = publicBaseURL
        result["LOG_LEVEL"] = logLevel
        return result
    }

    /// Loads the configuration, or prints the one-line reason and exits 1.
    func load(_ requirement: ServiceConfiguration.Requirement) throws -> ServiceConfiguration {
        do {
            return try ServiceConfiguration.load(environment: ProcessInfo.processInfo.environment, overrides: overrides, requirement: requirement)
        } catch {
            throw Self.exit(error.description)
        }
    }

    /// The configuration of a command that needs the S3 asset store, or the reason it cannot `purpose`, and exit 1.
    func loadS3(for purpose: String) throws -> (ServiceConfiguration, Logger, S3Settings) {
        let configuration = try load(.database)
        guard case .s3(let settings) = configuration.assetStore else { throw Self.exit("set ASSET_STORE=s3 and the S3_* settings to \(purpose)") }
        return (configuration, makeLogger(configuration), settings)
    }

    /// Prints `catalog-service: <reason>` to standard error; the exit status 1 to throw.
    static func exit(_ reason: String) -> ExitCode {
        FileHandle.standardError.write(Data("catalog-service: \(reason)\n".utf8))
        return ExitCode(1)
    }
}

func makeLogger(_ configuration: ServiceConfiguration) -> Logger {
    var logger = Logger(label: "catalog-service")
    logger.logLevel = configuration.logLevel
    return logger
}

/// glibc gives threads that contend for malloc arenas of their own, up to eight per core, and memory freed in one
/// arena is not reused by another: in a 10-minute soak the service's RSS kept creeping up for five minutes (180 →
/// 224 MB) with the default, and settled at 196 MB within three with two arenas. An operator's
/// `MALLOC_ARENA_MAX` wins.
func limitMallocArenas() {
    #if canImport(Glibc)
    // `mallopt` and M_ARENA_MAX are in <malloc.h>, which the Glibc module does not import: looked up by name.
    let arenaMax: Int32 = -8
    guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil, let symbol = dlsym(nil, "mallopt") else { return }
    typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
    _ = unsafeBitCast(symbol, to: MallOpt.self)(arenaMax, 2)
    #endif
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Migrate the database, then serve HTTP until SIGTERM or SIGINT.")
    @OptionGroup var options: CommonOptions

    func run() async throws {
        limitMallocArenas()
        let configuration = try options.load(.serve)
        let logger = makeLogger(configuration)
        let (app, components) = try await buildApplication(configuration: configuration, logger: logger)
        logger.info("serving", metadata: ["address": .string("\(configuration.host):\(configuration.port)"), "publicBaseURL": .string(configuration.publicBaseURL)])
        // The drain signal after the application: graceful shutdown reaches it first, so readiness turns 503
        // before the server closes its listener.
        let group = ServiceGroup(configuration: .init(
            services: [app, DrainSignal(state: components.drain)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        ))
        try await group.run()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations and exit.")
    @OptionGroup var options: CommonOptions

    func run() async throws {
        let configuration = try options.load(.database)
        let logger = makeLogger(configuration)
        let applied = try await withDatabase(configuration, logger: logger) { database in
            try await Migrator().migrate(client: database.client, logger: logger)
        }
        print(applied.isEmpty ? "schema is up to date" : "applied \(applied.joined(separator: ", "))")
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the sticker packs under a seed directory (idempotent).")
    @OptionGroup var options: CommonOptions
    @Option(help: "Directory holding one folder per pack (manifest.json plus images).") var directory: String = "Seed"

    func run() async throws {
        let configuration = try options.load(.database)
        let logger = makeLogger(configuration)
        let report = try await withDatabase(configuration, logger: logger) { database in
            try await Migrator().migrate(client: database.client, logger: logger)
            return try await SeedLoader(repository: PostgresPackRepository(database: database)).load(directory: URL(fileURLWithPath: directory))
        }
        for line in report { print(line) }
    }
}

/// Runs `body` with a database whose pool is running, then shuts the pool down.
struct Assets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Asset storage maintenance.", subcommands: [MoveAssets.self, SweepAssets.self, CollectAssets.self, MakeThumbnails.self])
}

struct MoveAssets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move asset bytes from PostgreSQL rows to the S3 store configured by S3_* (resumable; the service keeps serving)."
    )
    @OptionGroup var options: CommonOptions
    @Option(help: "The store to move to: s3.") var to: String

    func validate() throws {
        guard to == "s3" else { throw ValidationError("--to must be s3") }
    }

    func run() async throws {
        let (configuration, logger, settings) = try options.loadS3(for: "move assets to S3")
        let moved = try await withDatabase(configuration, logger: logger) { database in
            try await Migrator().migrate(client: database.client, logger: logger)
            return try await AssetMaintenance(database: database, storage: S3AssetStorage(settings: settings)).moveRowsToObjects { count in
                print("moved \(count) assets so far")
            }
        }
        print("moved \(moved) assets to s3; none left in PostgreSQL rows")
    }
}

/// `--min-age-hours` of the cleaning commands: what is younger may belong to an upload still committing.
struct MinimumAge: ParsableArguments {
    @Option(help: "Leave anything younger than this many hours (an upload may still be committing or reusing it).") var minAgeHours: Int = 24

    func validate() throws {
        guard minAgeHours >= 1 else { throw ValidationError("--min-age-hours must be at least 1") }
    }

    var duration: Duration { .seconds(minAgeHours * 3600) }
}

struct SweepAssets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Delete objects in the S3 asset bucket that no asset row names (left by refused or interrupted uploads)."
    )
    @OptionGroup var options: CommonOptions
    @OptionGroup var age: MinimumAge

    func run() async throws {
        let (configuration, logger, settings) = try options.loadS3(for: "sweep the asset bucket")
        let (seen, deleted) = try await withDatabase(configuration, logger: logger) { database in
            try await OrphanSweep(database: database, store: S3AssetStorage(settings: settings)).run(minimumAge: age.duration)
        }
        print("looked at \(seen) objects, deleted \(deleted) that no asset row names")
    }
}

struct CollectAssets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Delete assets no sticker or pack refers to any more (after pack deletions), rows and objects; audited."
    )
    @OptionGroup var options: CommonOptions
    @OptionGroup var age: MinimumAge

    func run() async throws {
        let configuration = try options.load(.database)
        let logger = makeLogger(configuration)
        let deleted = try await withDatabase(configuration, logger: logger) { database in
            try await AssetMaintenance(database: database, storage: configuration.assetStore.storage()).collectUnreferenced(minimumAge: age.duration)
        }
        print("deleted \(deleted.count) assets no sticker or pack referred to")
    }
}

struct MakeThumbnails: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thumbnails",
        abstract: "Make the thumbnails of images stored before thumbnails existed; one catalog version records them (the service keeps serving)."
    )
    @OptionGroup var options: CommonOptions

    func run() async throws {
        let configuration = try options.load(.database)
        let logger = makeLogger(configuration)
        let result = try await withDatabase(configuration, logger: logger) { database in
            try await Migrator().migrate(client: database.client, logger: logger)
            return try await PostgresPackRepository(database: database, storage: configuration.assetStore.storage()).makeMissingThumbnails { count in
                if count % 50 == 0 { print("made \(count) thumbnails so far") }
            }
        }
        let version = result.catalogVersion.map { "; catalog version \($0)" } ?? ""
        print("made \(result.made) thumbnails, \(result.skipped) images have none to make (TGS, or a WebM whose first frame does not decode)\(version)")
    }
}

func withDatabase<Result: Sendable>(
    _ configuration: ServiceConfiguration, logger: Logger, _ body: @escaping @Sendable (CatalogDatabase) async throws -> Result
) async throws -> Result {
    let database = CatalogDatabase(url: configuration.databaseURL, maximumConnections: 2, logger: logger)
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            try await database.run()
            return nil
        }
        defer { group.cancelAll() }
        return try await body(database)
    }
}
