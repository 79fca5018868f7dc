import CatalogCore
import Foundation
import Logging
import PostgresNIO

/// Users' sticker libraries (`user_libraries`, one row per user).
public protocol LibraryRepository: Sendable {
    /// The user's stored lists (`StoredLibrary.empty` for a user never seen).
    func library(userId: String) async throws -> StoredLibrary
    /// Locks the user's row (creating it), hands its lists to `change` and stores what it returns; each list that
    /// changed gets its version + 1. `change` throwing stores nothing.
    func update(userId: String, _ change: @escaping @Sendable (StoredLibrary) throws -> StoredLibrary) async throws -> StoredLibrary
    /// Removes everything of the user; whether there was anything.
    func delete(userId: String) async throws -> Bool
}

/// `LibraryRepository` on PostgreSQL.
public struct PostgresLibraryRepository: LibraryRepository {
    let database: CatalogDatabase
    var logger: Logger { database.logger }

    public init(database: CatalogDatabase) {
        self.database = database
    }

    static let columns = """
        installed, installed_version, favorites, favorites_version, recents, recents_version, hidden, hidden_version, updated_at
        """
    typealias Row = ([String]?, Int64, [String], Int64, [String], Int64, [String], Int64, Date)

    static func library(_ row: Row) -> StoredLibrary {
        StoredLibrary(
            installed: row.0, favorites: row.2, recents: row.4, hidden: row.6,
            versions: [.installed: row.1, .favorites: row.3, .recents: row.5, .hidden: row.7], updatedAt: row.8
        )
    }

    public func library(userId: String) async throws -> StoredLibrary {
        try await database.read { connection in
            for try await row in try await connection.execute(LibraryRowStatement(userId: userId), logger: logger) { return Self.library(row) }
            return .empty
        }
    }

    /// The read every library GET makes, prepared once per connection: PostgreSQL then neither parses nor plans it
    /// again, which at thousands of reads a second is about half of its work for this query.
    struct LibraryRowStatement: LibraryRowQuery {
        static let name = "catalog_library_row"
        static let sql = "SELECT \(columns) FROM user_libraries WHERE user_id = $1"
        let userId: String
    }

    /// The same row locked for the rest of the transaction (every change).
    struct LockedLibraryRowStatement: LibraryRowQuery {
        static let name = "catalog_library_row_for_update"
        static let sql = "SELECT \(columns) FROM user_libraries WHERE user_id = $1 FOR UPDATE"
        let userId: String
    }

    /// Every change's write of the four lists and their versions, prepared like the reads.
    struct LibraryUpdateStatement: PostgresPreparedStatement {
        static let name = "catalog_library_update"
        static let sql = """
            UPDATE user_libraries SET installed = $2, installed_version = $3, favorites = $4, favorites_version = $5,
                recents = $6, recents_version = $7, hidden = $8, hidden_version = $9, updated_at = now()
            WHERE user_id = $1 RETURNING updated_at
            """
        typealias Row = Date
        let userId: String
        let library: StoredLibrary

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings()
            bindings.append(userId)
            try bindings.append(library.installed, context: .default)
            bindings.append(library.version(.installed))
            try bindings.append(library.favorites, context: .default)
            bindings.append(library.version(.favorites))
            try bindings.append(library.recents, context: .default)
            bindings.append(library.version(.recents))
            try bindings.append(library.hidden, context: .default)
            bindings.append(library.version(.hidden))
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Date {
            try row.decode(Date.self)
        }
    }

    public func update(userId: String, _ change: @escaping @Sendable (StoredLibrary) throws -> StoredLibrary) async throws -> StoredLibrary {
        try await database.transaction { connection in
            func lock() async throws -> StoredLibrary? {
                for try await row in try await connection.execute(LockedLibraryRowStatement(userId: userId), logger: logger) { return Self.library(row) }
                return nil
            }
            var locked = try await lock()
            if locked == nil {
                // A new user: the row exists before it is locked, so two first writes queue on the lock rather than
                // both inserting. (Users seen before skip this round trip.)
                try await connection.query("INSERT INTO user_libraries (user_id) VALUES (\(userId)) ON CONFLICT DO NOTHING", logger: logger)
                locked = try await lock()
            }
            let current = locked ?? .empty
            var next = try change(current)
            var changed = false
            for list in LibraryList.allCases {
                let moved = next.stored(list) != current.stored(list)
                next.versions[list] = current.version(list) + (moved ? 1 : 0)
                changed = changed || moved
            }
            guard changed else { return current }
            let updated = try await connection.execute(LibraryUpdateStatement(userId: userId, library: next), logger: logger)
            for try await date in updated { next.updatedAt = date }
            return next
        }
    }

    public func delete(userId: String) async throws -> Bool {
        try await database.connection { connection in
            let rows = try await connection.query("DELETE FROM user_libraries WHERE user_id = \(userId) RETURNING user_id", logger: logger)
            for try await _ in rows.decode(String.self) { return true }
            return false
        }
    }

    /// Puts the stickers each sender sent at the front of their recents, most recent first, each once, keeping
    /// `cap`; `sends` are (user, sticker, order) with a higher order sent later. One statement for the whole batch.
    static func recordRecents(_ sends: [(userId: String, stickerId: String, order: Int64)], cap: Int, on connection: PostgresConnection, logger: Logger) async throws {
        guard !sends.isEmpty else { return }
        var binds = PostgresBindings()
        try binds.append(sends.map(\.userId), context: .default)
        try binds.append(sends.map(\.stickerId), context: .default)
        try binds.append(sends.map(\.order), context: .default)
        binds.append(Int64(cap))
        // Newest first, then the list as it was; the first occurrence of each id stays; at most `cap`.
        try await connection.query(
            PostgresQuery(unsafeSQL: """
                WITH sent AS (
                    SELECT user_id, array_agg(sticker_id ORDER BY ord DESC) AS fresh
                    FROM unnest($1::text[], $2::text[], $3::int8[]) AS t(user_id, sticker_id, ord)
                    GROUP BY user_id
                )
                INSERT INTO user_libraries AS l (user_id, recents, recents_version)
                SELECT user_id, (SELECT array_agg(id ORDER BY first) FROM (
                           SELECT id, min(n) AS first FROM unnest(fresh) WITH ORDINALITY AS u(id, n) GROUP BY id) d)[1:$4::int4], 1
                FROM sent
                ON CONFLICT (user_id) DO UPDATE SET
                    recents = (SELECT array_agg(id ORDER BY first) FROM (
                                   SELECT id, min(n) AS first FROM unnest(EXCLUDED.recents || l.recents) WITH ORDINALITY AS u(id, n) GROUP BY id) d)[1:$4::int4],
                    recents_version = l.recents_version + 1,
                    updated_at = now()
                """, binds: binds),
            logger: logger
        )
    }
}

/// A prepared read of one user's row: the user id is the only parameter, the row the library's columns.
protocol LibraryRowQuery: PostgresPreparedStatement where Row == PostgresLibraryRepository.Row {
    var userId: String { get }
}

extension LibraryRowQuery {
    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(userId)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}
