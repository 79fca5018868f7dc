import CatalogCore
import Foundation
import Logging
import PostgresNIO

/// Which media rows an admin list shows.
public struct MediaFilter: Sendable, Equatable {
    public var ownerUserId: String?
    public var kind: MediaFile.Kind?
    /// Created at or after.
    public var from: Date?
    /// Created before.
    public var to: Date?
    public var includeDeleted: Bool

    public init(ownerUserId: String? = nil, kind: MediaFile.Kind? = nil, from: Date? = nil, to: Date? = nil, includeDeleted: Bool = false) {
        self.ownerUserId = ownerUserId
        self.kind = kind
        self.from = from
        self.to = to
        self.includeDeleted = includeDeleted
    }
}

/// Registrations of one kind on one UTC day.
public struct MediaDayStats: Sendable, Equatable {
    /// `YYYY-MM-DD` (UTC).
    public var day: String
    public var kind: MediaFile.Kind
    public var count: Int64
    public var bytes: Int64
}

/// The media catalog: one row per file in OpenIM's object storage.
public protocol MediaRepository: Sendable {
    /// Registers a file; the same owner registering the same SHA-256 again gets the existing row (`created` false).
    func register(_ draft: MediaDraft) async throws -> (file: MediaFile, created: Bool)
    func media(id: UUID) async throws -> MediaFile?
    /// The rows among `ids` that exist (deleted ones included), in one query.
    func media(ids: [UUID]) async throws -> [UUID: MediaFile]
    /// Soft-deletes a file (deleting a deleted file changes nothing and returns it).
    func delete(id: UUID) async throws -> MediaFile
    /// Newest first, keyset-paginated on (created_at, id).
    func list(_ filter: MediaFilter, after cursor: String?, limit: Int) async throws -> Page<MediaFile>
    /// Registrations per kind per UTC day, `from` inclusive to `to` exclusive.
    func stats(from: Date, to: Date) async throws -> [MediaDayStats]
}

/// `MediaRepository` on PostgreSQL.
public struct PostgresMediaRepository: MediaRepository {
    let database: CatalogDatabase
    var logger: Logger { database.logger }

    public init(database: CatalogDatabase) {
        self.database = database
    }

    static let columns = """
        id, owner_user_id, conversation_id, kind, mime, byte_size, sha256, url, object_key, width, height, duration_ms,
        snapshot_url, snapshot_width, snapshot_height, file_name, created_at, deleted_at,
        ((extract(epoch FROM created_at) * 1000000)::int8)
        """

    typealias Row = (UUID, String, String?, String, String, Int64, String, String, String, Int?, Int?, Int64?, String?, Int?, Int?, String?, Date, Date?, Int64)

    /// A row and its exact creation time in microseconds (the cursor position; a `Date` would round it).
    static func file(_ row: Row) -> (MediaFile, Int64) {
        let draft = MediaDraft(
            ownerUserId: row.1, conversationId: row.2, kind: MediaFile.Kind(rawValue: row.3) ?? .file, mime: row.4, size: row.5,
            sha256: row.6, url: row.7, objectKey: row.8, width: row.9, height: row.10, durationMs: row.11, snapshotUrl: row.12,
            snapshotWidth: row.13, snapshotHeight: row.14, fileName: row.15
        )
        return (MediaFile(id: row.0, draft: draft, createdAt: row.16, deletedAt: row.17), row.18)
    }

    func first(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> MediaFile? {
        for try await row in try await connection.query(query, logger: logger).decode(Row.self) { return Self.file(row).0 }
        return nil
    }

    public func register(_ draft: MediaDraft) async throws -> (file: MediaFile, created: Bool) {
        let d = draft
        return try await database.transaction { connection in
            let inserted = try await first(
                """
                INSERT INTO media_files (id, owner_user_id, conversation_id, kind, mime, byte_size, sha256, url, object_key, width, height,
                    duration_ms, snapshot_url, snapshot_width, snapshot_height, file_name)
                VALUES (\(UUID()), \(d.ownerUserId), \(d.conversationId), \(d.kind.rawValue), \(d.mime), \(d.size), \(d.sha256), \(d.url),
                    \(d.objectKey), \(d.width), \(d.height), \(d.durationMs), \(d.snapshotUrl), \(d.snapshotWidth), \(d.snapshotHeight), \(d.fileName))
                ON CONFLICT (owner_user_id, sha256) WHERE deleted_at IS NULL DO NOTHING
                RETURNING \(unescaped: Self.columns)
                """,
                on: connection
            )
            if let inserted { return (inserted, true) }
            let existing = try await first(
                "SELECT \(unescaped: Self.columns) FROM media_files WHERE owner_user_id = \(d.ownerUserId) AND sha256 = \(d.sha256) AND deleted_at IS NULL",
                on: connection
            )
            guard let existing else { throw StoreError.conflict([FieldIssue(field: "sha256", message: "was registered and deleted concurrently; retry")]) }
            return (existing, false)
        }
    }

    public func media(id: UUID) async throws -> MediaFile? {
        try await database.read { connection in
            try await first("SELECT \(unescaped: Self.columns) FROM media_files WHERE id = \(id)", on: connection)
        }
    }

    public func media(ids: [UUID]) async throws -> [UUID: MediaFile] {
        try await database.read { connection in
            var files: [UUID: MediaFile] = [:]
            let rows = try await connection.query("SELECT \(unescaped: Self.columns) FROM media_files WHERE id = ANY(\(ids))", logger: logger)
            for try await row in rows.decode(Row.self) {
                let file = Self.file(row).0
                files[file.id] = file
            }
            return files
        }
    }

    public func delete(id: UUID) async throws -> MediaFile {
        try await database.connection { connection in
            let file = try await first(
                """
                UPDATE media_files SET deleted_at = COALESCE(deleted_at, clock_timestamp()) WHERE id = \(id)
                RETURNING \(unescaped: Self.columns)
                """,
                on: connection
            )
            guard let file else { throw StoreError.notFound("media \(id.uuidString.lowercased())") }
            return file
        }
    }

    /// The list query: filters become predicates only when set, so each combination uses its matching index.
    static func listQuery(_ filter: MediaFilter, after position: (micros: Int64, id: UUID)?, limit: Int) -> PostgresQuery {
        var sql = "SELECT \(columns) FROM media_files WHERE true"
        var binds = PostgresBindings()
        if let owner = filter.ownerUserId {
            binds.append(owner)
            sql += " AND owner_user_id = $\(binds.count)"
        }
        if let kind = filter.kind {
            binds.append(kind.rawValue)
            sql += " AND kind = $\(binds.count)"
        }
        if let from = filter.from {
            binds.append(from)
            sql += " AND created_at >= $\(binds.count)"
        }
        if let to = filter.to {
            binds.append(to)
            sql += " AND created_at < $\(binds.count)"
        }
        if !filter.includeDeleted { sql += " AND deleted_at IS NULL" }
        if let position {
            binds.append(position.micros)
            let micros = binds.count
            binds.append(position.id)
            sql += " AND (created_at, id) < (timestamptz 'epoch' + $\(micros) * interval '1 microsecond', $\(binds.count))"
        }
        sql += " ORDER BY created_at DESC, id DESC LIMIT \(limit + 1)"
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    static func decodeCursor(_ cursor: String?) throws -> (micros: Int64, id: UUID)? {
        guard let cursor else { return nil }
        guard let text = PostgresPackRepository.decodeCursor(cursor), let separator = text.firstIndex(of: "~"),
              let micros = Int64(text[..<separator]), let id = UUID(uuidString: String(text[text.index(after: separator)...])) else {
            throw StoreError.invalidCursor
        }
        return (micros, id)
    }

    public func list(_ filter: MediaFilter, after cursor: String?, limit: Int) async throws -> Page<MediaFile> {
        let query = Self.listQuery(filter, after: try Self.decodeCursor(cursor), limit: limit)
        return try await database.read { connection in
            var rows: [(MediaFile, Int64)] = []
            for try await row in try await connection.query(query, logger: logger).decode(Row.self) { rows.append(Self.file(row)) }
            let more = rows.count > limit
            let page = rows.prefix(limit)
            let next = more ? page.last.map { PostgresPackRepository.encodeCursor("\($0.1)~\($0.0.idString)") } : nil
            return Page(items: page.map(\.0), nextCursor: next)
        }
    }

    public func stats(from: Date, to: Date) async throws -> [MediaDayStats] {
        try await database.read { connection in
            let rows = try await connection.query(
                """
                SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, kind, count(*)::int8, sum(byte_size)::int8
                FROM media_files WHERE created_at >= \(from) AND created_at < \(to)
                GROUP BY 1, 2 ORDER BY 1, 2
                """,
                logger: logger
            )
            var result: [MediaDayStats] = []
            for try await (day, kind, count, bytes) in rows.decode((String, String, Int64, Int64).self) {
                result.append(MediaDayStats(day: day, kind: MediaFile.Kind(rawValue: kind) ?? .file, count: count, bytes: bytes))
            }
            return result
        }
    }
}
