import CatalogCore
import Foundation
import Logging
import OpenIMContent
import PostgresNIO

/// `PackRepository` on PostgreSQL.
public struct PostgresPackRepository: PackRepository {
    let database: CatalogDatabase
    let storage: any AssetStorage
    var logger: Logger { database.logger }

    /// Assets' bytes go to `storage`; PostgreSQL itself (each asset's row) by default.
    public init(database: CatalogDatabase, storage: any AssetStorage = PostgresAssetStorage()) {
        self.database = database
        self.storage = storage
    }

    // MARK: Reads

    static let packColumns = """
        p.id, p.title::text, p.description::text, p.publisher, p.status, p.position, p.animated, p.tags, p.revision,
        p.created_at, p.updated_at, a.sha256, a.mime, a.byte_size, a.width, a.height, a.frame_count,
        t.sha256, t.byte_size, t.width, t.height
        """
    static let stickerColumns = """
        s.id, s.pack_id, s.emojis, s.keywords, s.label, a.sha256, a.mime, a.byte_size, a.width, a.height, a.frame_count, s.localized_keywords::text,
        t.sha256, t.byte_size, t.width, t.height
        """
    /// Joins each asset `a` to its thumbnail `t`, when it has one.
    static let thumbnailJoin = "LEFT JOIN assets t ON t.sha256 = a.thumbnail_sha256"

    typealias PackRow = (String, String, String, String, String, Int, Bool, [String], Int, Date, Date, String, String, Int, Int, Int, Int, String?, Int?, Int?, Int?)
    typealias StickerRow = (String, String, [String], [String], String?, String, String, Int, Int, Int, Int, String, String?, Int?, Int?, Int?)

    static func localized(_ json: String) -> [String: String] {
        guard case .object(let members)? = try? JSONParser.parse(json) else { return [:] }
        var result: [String: String] = [:]
        for member in members { if case .string(let text) = member.value { result[member.key] = text } }
        return result
    }

    static func localizedJSON(_ texts: [String: String]) -> String {
        var writer = JSONWriter()
        writer.stringObject(texts)
        return writer.string
    }

    /// Keywords per locale from their jsonb column.
    static func localizedLists(_ json: String) -> [String: [String]] {
        guard case .object(let members)? = try? JSONParser.parse(json) else { return [:] }
        var result: [String: [String]] = [:]
        for member in members {
            guard case .array(let elements) = member.value else { continue }
            result[member.key] = elements.compactMap { if case .string(let text) = $0 { text } else { nil } }
        }
        return result
    }

    static func localizedListsJSON(_ lists: [String: [String]]) -> String {
        var writer = JSONWriter()
        writer.object { object in
            for key in lists.keys.sorted() { object.member(key, lists[key] ?? []) }
        }
        return writer.string
    }

    static func pack(_ row: PackRow, stickers: [StoredSticker]) -> StoredPack {
        StoredPack(
            id: row.0, title: localized(row.1), description: localized(row.2), publisher: row.3,
            tray: AssetDescriptor(
                sha256: row.11, mime: row.12, byteSize: row.13, width: row.14, height: row.15, frameCount: row.16,
                thumbnail: AssetThumbnail(sha256: row.17, byteSize: row.18, width: row.19, height: row.20)
            ),
            status: PackStatus(rawValue: row.4) ?? .draft, position: row.5, animated: row.6, tags: row.7, revision: row.8,
            createdAt: row.9, updatedAt: row.10, stickers: stickers
        )
    }

    static func sticker(_ row: StickerRow) -> StoredSticker {
        StoredSticker(
            id: row.0,
            asset: AssetDescriptor(
                sha256: row.5, mime: row.6, byteSize: row.7, width: row.8, height: row.9, frameCount: row.10,
                thumbnail: AssetThumbnail(sha256: row.12, byteSize: row.13, width: row.14, height: row.15)
            ),
            emojis: row.2, keywords: row.3, localizedKeywords: localizedLists(row.11), label: row.4
        )
    }

    func loadPack(id: String, on connection: PostgresConnection, lock: Bool = false) async throws -> StoredPack? {
        let lockClause = lock ? "FOR UPDATE OF p" : ""
        let rows = try await connection.query(
            "SELECT \(unescaped: Self.packColumns) FROM sticker_packs p JOIN assets a ON a.sha256 = p.tray_sha256 \(unescaped: Self.thumbnailJoin) WHERE p.id = \(id) \(unescaped: lockClause)",
            logger: logger
        )
        var found: PackRow?
        for try await row in rows.decode(PackRow.self) { found = row }
        guard let found else { return nil }
        return Self.pack(found, stickers: try await stickersByPack(ids: [id], on: connection)[id] ?? [])
    }

    public func pack(id: String) async throws -> StoredPack? {
        try await database.read { try await loadPack(id: id, on: $0) }
    }

    public func storedAssets(_ sha256s: Set<String>) async throws -> [String: AssetDescriptor] {
        guard !sha256s.isEmpty else { return [:] }
        return try await database.connection { connection in
            let rows = try await connection.query(
                """
                SELECT a.sha256, a.mime, a.byte_size, a.width, a.height, a.frame_count, t.sha256, t.byte_size, t.width, t.height
                FROM assets a \(unescaped: Self.thumbnailJoin) WHERE a.sha256 = ANY(\(Array(sha256s)))
                """,
                logger: logger
            )
            var result: [String: AssetDescriptor] = [:]
            for try await row in rows.decode((String, String, Int, Int, Int, Int, String?, Int?, Int?, Int?).self) {
                result[row.0] = AssetDescriptor(
                    sha256: row.0, mime: row.1, byteSize: row.2, width: row.3, height: row.4, frameCount: row.5,
                    thumbnail: AssetThumbnail(sha256: row.6, byteSize: row.7, width: row.8, height: row.9)
                )
            }
            return result
        }
    }

    public func asset(sha256: String) async throws -> (AssetDescriptor, AssetContent)? {
        try await asset(sha256: sha256, redirect: true)
    }

    public func assetBytes(sha256: String) async throws -> [UInt8]? {
        guard case (_, .bytes(let bytes))? = try await asset(sha256: sha256, redirect: false) else { return nil }
        return bytes
    }

    /// The asset's facts and bytes, or (with `redirect`, when the store delivers objects itself) where to fetch them.
    func asset(sha256: String, redirect: Bool) async throws -> (AssetDescriptor, AssetContent)? {
        let found = try await database.read { connection -> (AssetDescriptor, ByteBuffer?, String?)? in
            let rows = try await connection.query(
                "SELECT mime, byte_size, width, height, frame_count, bytes, object_key FROM assets WHERE sha256 = \(sha256)", logger: logger
            )
            for try await (mime, size, width, height, frames, bytes, key) in rows.decode((String, Int, Int, Int, Int, ByteBuffer?, String?).self) {
                return (AssetDescriptor(sha256: sha256, mime: mime, byteSize: size, width: width, height: height, frameCount: frames), bytes, key)
            }
            return nil
        }
        guard let (descriptor, bytes, key) = found else { return nil }
        if let bytes { return (descriptor, .bytes(Array(bytes.readableBytesView))) }
        guard let key else { return nil }
        if redirect, let url = storage.deliveryURL(key: key) { return (descriptor, .redirect(url)) }
        let object: [UInt8]?
        do {
            object = try await storage.object(key: key)
        } catch {
            logger.warning("asset store read failed", metadata: ["asset.sha256": .string(sha256), "error": .string(String(describing: error))])
            throw StoreError.unavailable
        }
        return object.map { (descriptor, .bytes($0)) }
    }

    public func packs(after cursor: String?, limit: Int) async throws -> Page<StoredPack> {
        let (afterPosition, afterId) = try Self.decodePackCursor(cursor)
        return try await database.readTransaction { connection in
            // Two queries per page (packs, then their stickers), not two per pack.
            var rows: [PackRow] = []
            let packRows = try await connection.query(
                """
                SELECT \(unescaped: Self.packColumns) FROM sticker_packs p JOIN assets a ON a.sha256 = p.tray_sha256 \(unescaped: Self.thumbnailJoin)
                WHERE (p.position, p.id) > (\(afterPosition), \(afterId))
                ORDER BY p.position, p.id LIMIT \(limit + 1)
                """,
                logger: logger
            )
            for try await row in packRows.decode(PackRow.self) { rows.append(row) }
            let more = rows.count > limit
            let page = Array(rows.prefix(limit))
            let stickers = try await stickersByPack(ids: page.map(\.0), on: connection)
            let packs = page.map { Self.pack($0, stickers: stickers[$0.0] ?? []) }
            let next = more ? packs.last.map { Self.encodeCursor("\($0.position)~\($0.id)") } : nil
            return Page(items: packs, nextCursor: next)
        }
    }

    /// Stickers in display order, grouped by pack: of the packs `ids`, or of every pack when nil.
    func stickersByPack(ids: [String]?, on connection: PostgresConnection) async throws -> [String: [StoredSticker]] {
        let rows: PostgresRowSequence
        if let ids {
            rows = try await connection.query(
                "SELECT \(unescaped: Self.stickerColumns) FROM stickers s JOIN assets a ON a.sha256 = s.asset_sha256 \(unescaped: Self.thumbnailJoin) WHERE s.pack_id = ANY(\(ids)) ORDER BY s.pack_id, s.position",
                logger: logger
            )
        } else {
            rows = try await connection.query(
                "SELECT \(unescaped: Self.stickerColumns) FROM stickers s JOIN assets a ON a.sha256 = s.asset_sha256 \(unescaped: Self.thumbnailJoin) ORDER BY s.pack_id, s.position",
                logger: logger
            )
        }
        var stickers: [String: [StoredSticker]] = [:]
        for try await row in rows.decode(StickerRow.self) { stickers[row.1, default: []].append(Self.sticker(row)) }
        return stickers
    }

    public func audit(after cursor: String?, limit: Int) async throws -> Page<AuditEntry> {
        var before = Int64.max
        if let cursor {
            guard let text = Self.decodeCursor(cursor), let id = Int64(text) else { throw StoreError.invalidCursor }
            before = id
        }
        let upperBound = before
        return try await database.read { connection in
            let rows = try await connection.query(
                "SELECT id, at, actor, action, entity, summary FROM audit_log WHERE id < \(upperBound) ORDER BY id DESC LIMIT \(limit + 1)",
                logger: logger
            )
            var entries: [AuditEntry] = []
            for try await (id, at, actor, action, entity, summary) in rows.decode((Int64, Date, String, String, String, String).self) {
                entries.append(AuditEntry(id: id, at: at, actor: actor, action: action, entity: entity, summary: summary))
            }
            let more = entries.count > limit
            entries = Array(entries.prefix(limit))
            return Page(items: entries, nextCursor: more ? entries.last.map { Self.encodeCursor(String($0.id)) } : nil)
        }
    }

    public func catalogContent() async throws -> CatalogContent {
        try await database.readTransaction { connection in
            // One consistent view: a snapshot never mixes two versions.
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            var version: Int64 = 0
            var changedAt = Date(timeIntervalSince1970: 0)
            for try await (v, at) in try await connection.query("SELECT version, changed_at FROM catalog_state", logger: logger).decode((Int64, Date).self) {
                version = v
                changedAt = at
            }
            let stickersByPack = try await stickersByPack(ids: nil, on: connection)
            var packs: [StoredPack] = []
            let packRows = try await connection.query(
                "SELECT \(unescaped: Self.packColumns) FROM sticker_packs p JOIN assets a ON a.sha256 = p.tray_sha256 \(unescaped: Self.thumbnailJoin) ORDER BY p.position, p.id",
                logger: logger
            )
            for try await row in packRows.decode(PackRow.self) { packs.append(Self.pack(row, stickers: stickersByPack[row.0] ?? [])) }
            let gif = try await loadGIFConfiguration(on: connection)
            var popular: [String] = []
            for try await id in try await connection.query("SELECT sticker_id FROM catalog_popular ORDER BY position", logger: logger).decode(String.self) {
                popular.append(id)
            }
            return CatalogContent(version: version, changedAt: changedAt, packs: packs, gif: gif, popular: popular)
        }
    }

    public func catalogVersion() async throws -> Int64 {
        try await database.read { connection in
            for try await version in try await connection.query("SELECT version FROM catalog_state", logger: logger).decode(Int64.self) {
                return version
            }
            return 0
        }
    }

    public func changes(since version: Int64) async throws -> ChangesAnswer {
        try await database.readTransaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            var current: Int64 = 0
            var horizon: Int64 = 0
            for try await (v, since) in try await connection.query("SELECT version, changes_since FROM catalog_state", logger: logger).decode((Int64, Int64).self) {
                current = v
                horizon = since
            }
            if version > current { return .future(current: current) }
            if version < horizon { return .expired(oldestAvailable: horizon) }
            var changes: [CatalogChange] = []
            let rows = try await connection.query(
                "SELECT version, entity_kind, entity_id, operation FROM catalog_changes WHERE version > \(version) ORDER BY version, entity_kind, entity_id",
                logger: logger
            )
            for try await (v, kind, id, operation) in rows.decode((Int64, String, String, String).self) {
                changes.append(CatalogChange(version: v, entityKind: kind, entityId: id, operation: operation))
            }
            return .changes(current: current, changes)
        }
    }

    // MARK: Cursors

    static func encodeCursor(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decodeCursor(_ cursor: String) -> String? {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard cursor.count <= 256, let data = Data(base64Encoded: base64) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    static func decodePackCursor(_ cursor: String?) throws -> (Int, String) {
        guard let cursor else { return (Int(Int32.min), "") }
        guard let text = decodeCursor(cursor), let separator = text.firstIndex(of: "~"), let position = Int(text[..<separator]) else {
            throw StoreError.invalidCursor
        }
        return (position, String(text[text.index(after: separator)...]))
    }
}
