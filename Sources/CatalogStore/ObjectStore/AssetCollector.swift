import Foundation
import Logging
import PostgresNIO

/// Deletes assets that no sticker and no pack tray refers to any more (`catalog-service assets gc`): their rows,
/// and their objects when an object store holds them.
///
/// Only assets created more than `minimumAge` ago are considered, so an upload reusing an asset it has just found
/// is not raced. Each row is deleted by a statement that checks again that nothing refers to it; a pack written
/// meanwhile that refers to it makes the deletion fail on the foreign key, and the asset stays. The object goes
/// after its row (never a row without its object); an object whose deletion fails is left to `assets sweep`.
public struct AssetCollector: Sendable {
    let database: CatalogDatabase
    let storage: any AssetStorage
    var logger: Logger { database.logger }

    public init(database: CatalogDatabase, storage: any AssetStorage) {
        self.database = database
        self.storage = storage
    }

    static let unreferenced = """
        NOT EXISTS (SELECT 1 FROM stickers s WHERE s.asset_sha256 = a.sha256)
        AND NOT EXISTS (SELECT 1 FROM sticker_packs p WHERE p.tray_sha256 = a.sha256)
        """

    /// Collects every unreferenced asset older than `minimumAge`; the hashes deleted. Audited as one entry.
    public func run(minimumAge: Duration = .seconds(86_400)) async throws -> [String] {
        let seconds = Int(minimumAge.components.seconds)
        let candidates = try await database.connection { connection -> [String] in
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT a.sha256 FROM assets a WHERE a.created_at < now() - make_interval(secs => \(seconds)) AND \(Self.unreferenced) ORDER BY a.sha256")
            , logger: logger)
            var found: [String] = []
            for try await sha in rows.decode(String.self) { found.append(sha) }
            return found
        }
        var deleted: [String] = []
        for sha in candidates {
            let removed: (Bool, String?)
            do {
                removed = try await database.connection { connection -> (Bool, String?) in
                    var query = PostgresQuery(unsafeSQL: "DELETE FROM assets a WHERE a.sha256 = $1 AND \(Self.unreferenced) RETURNING a.object_key")
                    query.binds.append(sha)
                    for try await key in try await connection.query(query, logger: logger).decode(String?.self) { return (true, key) }
                    return (false, nil)
                }
            } catch where CatalogDatabase.sqlState(error) == "23503" {
                continue  // referenced by a write that committed meanwhile: it stays
            }
            guard removed.0 else { continue }
            deleted.append(sha)
            if let key = removed.1 {
                do {
                    try await storage.deleteObject(key: key)
                } catch {
                    logger.warning("asset object not deleted; 'assets sweep' will", metadata: ["object.key": .string(key), "error": .string(String(describing: error))])
                }
            }
        }
        if !deleted.isEmpty {
            let summary = "deleted \(deleted.count) assets no sticker or pack referred to"
            try await database.connection { connection in
                try await connection.query("INSERT INTO audit_log (actor, action, entity, summary) VALUES ('maintenance', 'asset.gc', 'assets', \(summary))", logger: logger)
            }
            logger.info("asset garbage collection", metadata: ["assets.deleted": .stringConvertible(deleted.count)])
        }
        return deleted
    }
}
