import Foundation
import Logging
import PostgresNIO

/// Applies the numbered SQL files in `Migrations/` once each, in order.
///
/// Everything runs in one transaction that first takes a transaction-scoped advisory lock, so replicas starting
/// together queue up: the first applies the files, the others then find them recorded in `schema_migrations` and
/// do nothing. A failing file rolls the whole run back.
public struct Migrator: Sendable {
    /// One SQL file.
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    /// Arbitrary but fixed: the advisory lock key all replicas agree on ("catalog" in ASCII).
    static let advisoryLockKey: Int64 = 0x6361_7461_6C6F_67

    public let migrations: [Migration]

    /// Loads the migrations bundled with this module.
    public init() throws {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw MigrationError.missingBundle
        }
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
        var migrations: [Migration] = []
        for file in files {
            let name = file.deletingPathExtension().lastPathComponent
            guard let version = Int(name.prefix(while: \.isNumber)) else { throw MigrationError.badName(name) }
            migrations.append(Migration(version: version, name: name, sql: try String(contentsOf: file, encoding: .utf8)))
        }
        self.migrations = migrations.sorted { $0.version < $1.version }
        if Set(self.migrations.map(\.version)).count != self.migrations.count { throw MigrationError.duplicateVersion }
    }

    /// Applies pending migrations; returns the names of those applied by this call.
    @discardableResult
    public func migrate(client: PostgresClient, logger: Logger) async throws -> [String] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                logger: logger
            )
            var applied = Set<Int>()
            for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger).decode(Int.self) {
                applied.insert(version)
            }
            var names: [String] = []
            for migration in migrations where !applied.contains(migration.version) {
                logger.info("applying migration", metadata: ["migration": .string(migration.name)])
                // The extended protocol takes one statement at a time.
                for statement in Self.statements(in: migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger
                )
                names.append(migration.name)
            }
            return names
        }
    }
}

extension Migrator {
    /// Splits SQL into statements at semicolons outside quotes, dollar quotes and comments.
    public static func statements(in sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var characters = Array(sql)
        characters.append("\n")
        var index = 0
        var inQuote = false
        var dollarTag: String?
        while index < characters.count {
            let character = characters[index]
            if let tag = dollarTag {
                current.append(character)
                if character == "$", String(characters[index..<min(characters.count, index + tag.count)]) == tag {
                    current.append(contentsOf: characters[(index + 1)..<(index + tag.count)])
                    index += tag.count
                    dollarTag = nil
                    continue
                }
            } else if inQuote {
                current.append(character)
                if character == "'" { inQuote = false }
            } else if character == "-", index + 1 < characters.count, characters[index + 1] == "-" {
                while index < characters.count, characters[index] != "\n" { index += 1 }
                current.append("\n")
            } else if character == "'" {
                inQuote = true
                current.append(character)
            } else if character == "$", let end = characters[(index + 1)...].firstIndex(of: "$"),
                      characters[(index + 1)..<end].allSatisfy({ $0.isLetter || $0 == "_" }) {
                let tag = String(characters[index...end])
                dollarTag = tag
                current.append(tag)
                index = end + 1
                continue
            } else if character == ";" {
                let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !trimmed.isEmpty { statements.append(trimmed) }
                current = ""
            } else {
                current.append(character)
            }
            index += 1
        }
        let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { statements.append(trimmed) }
        return statements
    }
}

/// Why the bundled migrations could not be loaded.
public enum MigrationError: Error, CustomStringConvertible {
    case missingBundle
    case badName(String)
    case duplicateVersion

    public var description: String {
        switch self {
        case .missingBundle: return "the Migrations resource is missing from the bundle"
        case .badName(let name): return "migration file \(name) must start with its number"
        case .duplicateVersion: return "two migration files share a number"
        }
    }
}
