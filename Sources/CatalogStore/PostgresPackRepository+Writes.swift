import CatalogCore
import Foundation
import Logging
import PostgresNIO

extension PostgresPackRepository {
    /// A change to record against the new catalog version.
    struct Change {
        var kind: String
        var id: String
        var operation: String

        /// A pack change as the public catalog sees it: published packs are upserted, anything else removed.
        static func pack(_ pack: StoredPack) -> Change {
            Change(kind: "pack", id: pack.id, operation: pack.status == .published ? "upsert" : "remove")
        }
    }

    /// Bumps the catalog version, records `changes`, audits and queues `NOTIFY catalog_changed` (sent on commit).
    ///
    /// The UPDATE takes the catalog_state row lock, so concurrent writers commit versions strictly in order with no
    /// gaps. `changed_at` advances at least one second per version, so Last-Modified orders versions exactly.
    func commitChange(_ changes: [Change], audit: (action: String, entity: String, summary: String), actor: Actor, on connection: PostgresConnection) async throws -> Int64 {
        var version: Int64 = 0
        let rows = try await connection.query(
            """
            UPDATE catalog_state
            SET version = version + 1,
                changed_at = GREATEST(date_trunc('second', clock_timestamp()), changed_at + interval '1 second'),
                changes_since = GREATEST(changes_since, version + 1 - \(CatalogLimits.changeLogRetention))
            RETURNING version
            """,
            logger: logger
        )
        for try await value in rows.decode(Int64.self) { version = value }
        var seen = Set<String>()
        for change in changes where seen.insert("\(change.kind)/\(change.id)").inserted {
            try await connection.query(
                """
                INSERT INTO catalog_changes (version, entity_kind, entity_id, operation, changed_at)
                VALUES (\(version), \(change.kind), \(change.id), \(change.operation), now())
                """,
                logger: logger
            )
        }
        try await connection.query(
            "DELETE FROM catalog_changes WHERE version <= \(version - CatalogLimits.changeLogRetention)",
            logger: logger
        )
        try await connection.query(
            "INSERT INTO audit_log (actor, action, entity, summary) VALUES (\(actor.name), \(audit.action), \(audit.entity), \(audit.summary))",
            logger: logger
        )
        try await connection.query("SELECT pg_notify('catalog_changed', \(String(version)))", logger: logger)
        return version
    }

    /// Puts each new asset's bytes where the asset storage keeps them, before the write's transaction begins (an
    /// object store that cannot take them makes the write fail as unavailable, with nothing recorded).
    ///
    /// Up to `placementsInFlight` at a time (an object store's round trips overlap; a pack and its thumbnails are
    /// dozens of objects), the result in the blobs' order.
    func place(_ blobs: [AssetBlob]) async throws -> [PlacedAsset] {
        let storage = self.storage, logger = self.logger
        var locations = [AssetLocation?](repeating: nil, count: blobs.count)
        try await withThrowingTaskGroup(of: (Int, AssetLocation).self) { group in
            var next = 0
            func start() {
                let index = next, blob = blobs[index]
                next += 1
                group.addTask {
                    do {
                        return (index, try await storage.place(blob))
                    } catch {
                        logger.warning("asset store refused an upload", metadata: ["asset.sha256": .string(blob.descriptor.sha256), "error": .string(String(describing: error))])
                        throw StoreError.unavailable
                    }
                }
            }
            while next < min(blobs.count, Self.placementsInFlight) { start() }
            while let (index, location) = try await group.next() {
                locations[index] = location
                if next < blobs.count { start() }
            }
        }
        return zip(blobs, locations).compactMap { blob, location in location.map { PlacedAsset(blob: blob, location: $0) } }
    }

    /// How many objects one write places at once.
    static let placementsInFlight = 4

    /// Records each placed asset: its facts, and its bytes or its object's key. A row that has neither (written
    /// before either existed) gets them now; a row that has one keeps it. A row without a thumbnail gets this one.
    func insertAssets(_ placed: [PlacedAsset], on connection: PostgresConnection) async throws {
        for asset in placed {
            let d = asset.blob.descriptor
            var bytes: ByteBuffer?
            var key: String?
            switch asset.location {
            case .row: bytes = ByteBuffer(bytes: asset.blob.bytes)
            case .object(let objectKey): key = objectKey
            }
            try await connection.query(
                """
                INSERT INTO assets (sha256, mime, byte_size, width, height, animated, frame_count, bytes, object_key, thumbnail_sha256)
                VALUES (\(d.sha256), \(d.mime), \(d.byteSize), \(d.width), \(d.height), \(d.animated), \(d.frameCount), \(bytes), \(key), \(d.thumbnail?.sha256))
                ON CONFLICT (sha256) DO UPDATE SET
                    bytes = CASE WHEN assets.bytes IS NULL AND assets.object_key IS NULL THEN EXCLUDED.bytes ELSE assets.bytes END,
                    object_key = CASE WHEN assets.bytes IS NULL AND assets.object_key IS NULL THEN EXCLUDED.object_key ELSE assets.object_key END,
                    thumbnail_sha256 = COALESCE(assets.thumbnail_sha256, EXCLUDED.thumbnail_sha256)
                WHERE (assets.bytes IS NULL AND assets.object_key IS NULL)
                   OR (assets.thumbnail_sha256 IS NULL AND EXCLUDED.thumbnail_sha256 IS NOT NULL)
                """,
                logger: logger
            )
        }
    }

    /// Refuses sticker ids already used by another pack, naming them.
    func checkStickerIds(_ ids: [String], packId: String, on connection: PostgresConnection) async throws {
        guard !ids.isEmpty else { return }
        var issues: [FieldIssue] = []
        let rows = try await connection.query(
            "SELECT id, pack_id FROM stickers WHERE id = ANY(\(ids)) AND pack_id <> \(packId) ORDER BY id",
            logger: logger
        )
        for try await (id, owner) in rows.decode((String, String).self) {
            issues.append(FieldIssue(field: "stickers", message: "sticker id \(id) is already used by pack \(owner)"))
        }
        if !issues.isEmpty { throw StoreError.conflict(issues) }
    }

    func insertStickers(_ stickers: [StoredSticker], packId: String, on connection: PostgresConnection) async throws {
        for (position, sticker) in stickers.enumerated() {
            try await connection.query(
                """
                INSERT INTO stickers (id, pack_id, position, asset_sha256, emojis, keywords, label, localized_keywords)
                VALUES (\(sticker.id), \(packId), \(position), \(sticker.asset.sha256), \(sticker.emojis), \(sticker.keywords), \(sticker.label),
                        \(Self.localizedListsJSON(sticker.localizedKeywords))::jsonb)
                """,
                logger: logger
            )
        }
    }

    /// Loads and locks a pack, checking `If-Match`.
    func lockedPack(id: String, ifMatch revisions: Set<Int>?, on connection: PostgresConnection) async throws -> StoredPack {
        guard let pack = try await loadPack(id: id, on: connection, lock: true) else { throw StoreError.notFound("pack \(id)") }
        if let revisions, !revisions.contains(pack.revision) { throw StoreError.preconditionFailed(currentETag: pack.eTag) }
        return pack
    }

    /// Bumps a pack's revision and reloads it.
    func touch(_ id: String, on connection: PostgresConnection) async throws -> StoredPack {
        try await connection.query("UPDATE sticker_packs SET revision = revision + 1, updated_at = now() WHERE id = \(id)", logger: logger)
        guard let pack = try await loadPack(id: id, on: connection) else { throw StoreError.notFound("pack \(id)") }
        return pack
    }

    func write<Value: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Value) async throws -> Value {
        do {
            return try await database.transaction(body)
        } catch {
            // A concurrent writer took the same id between our check and insert.
            if CatalogDatabase.sqlState(error) == "23505" {
                throw StoreError.conflict([FieldIssue(field: "id", message: "was taken by a concurrent write")])
            }
            throw error
        }
    }

    public func create(_ assembled: AssembledPack, actor: Actor) async throws -> WriteResult<StoredPack> {
        let manifest = assembled.manifest
        let placed = try await place(assembled.newAssets)
        return try await write { connection in
            let exists = try await connection.query("SELECT 1 FROM sticker_packs WHERE id = \(manifest.id)", logger: logger)
            for try await _ in exists { throw StoreError.conflict([FieldIssue(field: "id", message: "pack \(manifest.id) already exists")]) }
            try await checkStickerIds(assembled.stickers.map(\.id), packId: manifest.id, on: connection)
            try await insertAssets(placed, on: connection)
            var position = manifest.position ?? 0
            if manifest.position == nil {
                for try await next in try await connection.query("SELECT COALESCE(MAX(position) + 1, 0)::int8 FROM sticker_packs", logger: logger).decode(Int.self) {
                    position = next
                }
            }
            try await connection.query(
                """
                INSERT INTO sticker_packs (id, title, description, publisher, tray_sha256, status, position, animated, tags)
                VALUES (\(manifest.id), \(Self.localizedJSON(manifest.title))::jsonb, \(Self.localizedJSON(manifest.description))::jsonb,
                        \(manifest.publisher), \(assembled.tray.sha256), \(manifest.status.rawValue), \(position), \(assembled.animated), \(manifest.tags))
                """,
                logger: logger
            )
            try await insertStickers(assembled.stickers, packId: manifest.id, on: connection)
            guard let pack = try await loadPack(id: manifest.id, on: connection) else { throw StoreError.notFound("pack \(manifest.id)") }
            let version = try await commitChange(
                [.pack(pack)],
                audit: ("pack.create", "pack:\(pack.id)", "created \(pack.status.rawValue) pack with \(pack.stickers.count) stickers"),
                actor: actor, on: connection
            )
            return WriteResult(value: pack, catalogVersion: version)
        }
    }

    public func replace(_ assembled: AssembledPack, ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredPack> {
        let manifest = assembled.manifest
        let placed = try await place(assembled.newAssets)
        return try await write { connection in
            let current = try await lockedPack(id: manifest.id, ifMatch: revisions, on: connection)
            try await checkStickerIds(assembled.stickers.map(\.id), packId: manifest.id, on: connection)
            try await insertAssets(placed, on: connection)
            try await connection.query("DELETE FROM stickers WHERE pack_id = \(manifest.id)", logger: logger)
            try await connection.query(
                """
                UPDATE sticker_packs SET title = \(Self.localizedJSON(manifest.title))::jsonb,
                    description = \(Self.localizedJSON(manifest.description))::jsonb, publisher = \(manifest.publisher),
                    tray_sha256 = \(assembled.tray.sha256), status = \(manifest.status.rawValue),
                    position = \(manifest.position ?? current.position), animated = \(assembled.animated), tags = \(manifest.tags)
                WHERE id = \(manifest.id)
                """,
                logger: logger
            )
            try await insertStickers(assembled.stickers, packId: manifest.id, on: connection)
            let pack = try await touch(manifest.id, on: connection)
            let version = try await commitChange(
                [.pack(pack)],
                audit: ("pack.replace", "pack:\(pack.id)", "replaced with \(pack.stickers.count) stickers, status \(pack.status.rawValue)"),
                actor: actor, on: connection
            )
            return WriteResult(value: pack, catalogVersion: version)
        }
    }

    public func patch(id: String, _ patch: PackPatch, ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredPack> {
        try await write { connection in
            let current = try await lockedPack(id: id, ifMatch: revisions, on: connection)
            let title = PackPatch.merge(current.title, patch.title)
            if title.isEmpty { throw StoreError.invalid([FieldIssue(field: "title", message: "must keep at least one locale")]) }
            if title.count > CatalogLimits.maximumLocales || PackPatch.merge(current.description, patch.description).count > CatalogLimits.maximumLocales {
                throw StoreError.invalid([FieldIssue(field: "title", message: "must have at most \(CatalogLimits.maximumLocales) locales")])
            }
            try await connection.query(
                """
                UPDATE sticker_packs SET title = \(Self.localizedJSON(title))::jsonb,
                    description = \(Self.localizedJSON(PackPatch.merge(current.description, patch.description)))::jsonb,
                    publisher = \(patch.publisher ?? current.publisher), status = \((patch.status ?? current.status).rawValue),
                    tags = \(patch.tags ?? current.tags), position = \(patch.position ?? current.position)
                WHERE id = \(id)
                """,
                logger: logger
            )
            let pack = try await touch(id, on: connection)
            var changed: [String] = []
            if patch.title != nil { changed.append("title") }
            if patch.description != nil { changed.append("description") }
            if patch.publisher != nil { changed.append("publisher") }
            if let status = patch.status { changed.append("status=\(status.rawValue)") }
            if patch.tags != nil { changed.append("tags") }
            if let position = patch.position { changed.append("position=\(position)") }
            let version = try await commitChange(
                [.pack(pack)], audit: ("pack.patch", "pack:\(id)", "changed \(changed.joined(separator: ", "))"), actor: actor, on: connection
            )
            return WriteResult(value: pack, catalogVersion: version)
        }
    }

    public func archive(id: String, ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredPack> {
        try await write { connection in
            _ = try await lockedPack(id: id, ifMatch: revisions, on: connection)
            try await connection.query("UPDATE sticker_packs SET status = 'archived' WHERE id = \(id)", logger: logger)
            let pack = try await touch(id, on: connection)
            let version = try await commitChange([.pack(pack)], audit: ("pack.archive", "pack:\(id)", "archived"), actor: actor, on: connection)
            return WriteResult(value: pack, catalogVersion: version)
        }
    }

    public func purge(id: String, ifMatch revisions: Set<Int>?, actor: Actor) async throws -> Int64 {
        try await write { connection in
            let pack = try await lockedPack(id: id, ifMatch: revisions, on: connection)
            guard pack.status == .archived else {
                throw StoreError.conflict([FieldIssue(field: "status", message: "pack \(id) is \(pack.status.rawValue); archive it first (DELETE /v1/admin/packs/\(id))")])
            }
            try await connection.query("DELETE FROM sticker_packs WHERE id = \(id)", logger: logger)  // its stickers go with it
            return try await commitChange(
                [Change(kind: "pack", id: id, operation: "remove")],
                audit: ("pack.purge", "pack:\(id)", "deleted archived pack with \(pack.stickers.count) stickers; assets no longer referenced are collected by 'assets gc'"),
                actor: actor, on: connection
            )
        }
    }

    public func addSticker(packId: String, _ sticker: StoredSticker, newAssets: [AssetBlob], ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredPack> {
        let placed = try await place(newAssets)
        return try await write { connection in
            let current = try await lockedPack(id: packId, ifMatch: revisions, on: connection)
            if current.stickers.contains(where: { $0.id == sticker.id }) {
                throw StoreError.conflict([FieldIssue(field: "id", message: "sticker id \(sticker.id) is already in pack \(packId)")])
            }
            if current.stickers.count >= CatalogLimits.stickersPerPack.upperBound {
                throw StoreError.invalid([FieldIssue(field: "stickers", message: "pack \(packId) already holds \(CatalogLimits.stickersPerPack.upperBound) stickers")])
            }
            if !current.animated, sticker.asset.animated {
                // The upload's rule: a pack marked static has no animated sticker; one with animated stickers may
                // mix in still ones, as Telegram's do (WhatsApp's all-one-or-the-other rule is its export profile's).
                throw StoreError.invalid([FieldIssue(field: "file", message: "is animated but pack \(packId) is marked static (PUT it with \"animated\": true to mix)")])
            }
            try await checkStickerIds([sticker.id], packId: packId, on: connection)
            try await insertAssets(placed, on: connection)
            try await connection.query(
                """
                INSERT INTO stickers (id, pack_id, position, asset_sha256, emojis, keywords, label, localized_keywords)
                VALUES (\(sticker.id), \(packId), \(current.stickers.count), \(sticker.asset.sha256), \(sticker.emojis), \(sticker.keywords), \(sticker.label),
                        \(Self.localizedListsJSON(sticker.localizedKeywords))::jsonb)
                """,
                logger: logger
            )
            let pack = try await touch(packId, on: connection)
            let version = try await commitChange(
                [.pack(pack)], audit: ("sticker.add", "sticker:\(sticker.id)", "added to pack \(packId)"), actor: actor, on: connection
            )
            return WriteResult(value: pack, catalogVersion: version)
        }
    }

    public func deleteSticker(packId: String, stickerId: String, ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredPack> {
        try await write { connection in
            let current = try await lockedPack(id: packId, ifMatch: revisions, on: connection)
            guard current.stickers.contains(where: { $0.id == stickerId }) else { throw StoreError.notFound("sticker \(stickerId) in pack \(packId)") }
            guard current.stickers.count > CatalogLimits.stickersPerPack.lowerBound else {
                throw StoreError.invalid([FieldIssue(field: "stickers", message: "a pack keeps at least \(CatalogLimits.stickersPerPack.lowerBound) sticker; archive the pack instead")])
            }
            try await connection.query("DELETE FROM stickers WHERE id = \(stickerId)", logger: logger)
            try await renumber(current.stickers.map(\.id).filter { $0 != stickerId }, packId: packId, on: connection)
            let pack = try await touch(packId, on: connection)
            let version = try await commitChange(
                [.pack(pack)], audit: ("sticker.delete", "sticker:\(stickerId)", "removed from pack \(packId)"), actor: actor, on: connection
            )
            return WriteResult(value: pack, catalogVersion: version)
        }
    }

    func renumber(_ ids: [String], packId: String, on connection: PostgresConnection) async throws {
        // (pack_id, position) is unique but deferred, so positions may collide until commit.
        for (position, id) in ids.enumerated() {
            try await connection.query("UPDATE stickers SET position = \(position) WHERE id = \(id) AND pack_id = \(packId)", logger: logger)
        }
    }

    public func reorderStickers(packId: String, order: [String], ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredPack> {
        try await write { connection in
            let current = try await lockedPack(id: packId, ifMatch: revisions, on: connection)
            let existing = current.stickers.map(\.id)
            guard order.count == existing.count, Set(order) == Set(existing), Set(order).count == order.count else {
                let missing = Set(existing).subtracting(order).sorted()
                let unknown = Set(order).subtracting(existing).sorted()
                var issues: [FieldIssue] = []
                if !missing.isEmpty { issues.append(FieldIssue(field: "order", message: "is missing \(missing.joined(separator: ", "))")) }
                if !unknown.isEmpty { issues.append(FieldIssue(field: "order", message: "names stickers not in the pack: \(unknown.joined(separator: ", "))")) }
                if issues.isEmpty { issues.append(FieldIssue(field: "order", message: "must name every sticker of the pack exactly once")) }
                throw StoreError.invalid(issues)
            }
            try await renumber(order, packId: packId, on: connection)
            let pack = try await touch(packId, on: connection)
            let version = try await commitChange(
                [.pack(pack)], audit: ("pack.reorder-stickers", "pack:\(packId)", "stickers reordered"), actor: actor, on: connection
            )
            return WriteResult(value: pack, catalogVersion: version)
        }
    }

    public func reorderPacks(_ order: [String], actor: Actor) async throws -> WriteResult<[String]> {
        try await database.transaction { connection in
            var all: [(String, String)] = []
            let rows = try await connection.query("SELECT id, status FROM sticker_packs ORDER BY position, id FOR UPDATE", logger: logger)
            for try await row in rows.decode((String, String).self) { all.append(row) }
            let known = Set(all.map(\.0))
            let unknown = order.filter { !known.contains($0) }
            if !unknown.isEmpty { throw StoreError.invalid([FieldIssue(field: "order", message: "names unknown packs: \(unknown.joined(separator: ", "))")]) }
            if Set(order).count != order.count { throw StoreError.invalid([FieldIssue(field: "order", message: "names a pack twice")]) }
            // Listed packs come first, in the order given; the others keep their relative order after them.
            let listed = Set(order)
            let final = order + all.map(\.0).filter { !listed.contains($0) }
            for (position, id) in final.enumerated() {
                try await connection.query("UPDATE sticker_packs SET position = \(position) WHERE id = \(id)", logger: logger)
            }
            let published = all.filter { $0.1 == PackStatus.published.rawValue }.map { Change(kind: "pack", id: $0.0, operation: "upsert") }
            let version = try await commitChange(
                published + [Change(kind: "catalog", id: "order", operation: "upsert")],
                audit: ("pack.reorder", "catalog", "pack order: \(final.prefix(20).joined(separator: ", "))"), actor: actor, on: connection
            )
            return WriteResult(value: final, catalogVersion: version)
        }
    }
}
