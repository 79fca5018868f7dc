import CatalogCore
import Foundation
import Logging
import PostgresNIO

/// Maintenance of the assets table and its store, run by `catalog-service assets …` while the service serves.
public struct AssetMaintenance: Sendable {
    let database: CatalogDatabase
    let storage: any AssetStorage
    var logger: Logger { database.logger }

    public init(database: CatalogDatabase, storage: any AssetStorage) {
        self.database = database
        self.storage = storage
    }

    /// Moves every asset still held in its row into the object store (`assets migrate --to s3`); how many were
    /// moved. `batch` rows are read at a time.
    ///
    /// One asset at a time: its object is written, then one statement switches the row to the object's key and drops
    /// its bytes — only while the row still holds them, so two movers or a mover and an upload never undo each other.
    /// Every row is readable at every moment (bytes or key), and a run stopped anywhere is resumed by running again:
    /// it picks up the rows that still hold their bytes.
    public func moveRowsToObjects(batch: Int = 50, progress: @Sendable (Int) -> Void = { _ in }) async throws -> Int {
        var moved = 0
        var after = ""
        while true {
            let start = after
            let rows = try await database.connection { connection -> [AssetBlob] in
                let result = try await connection.query(
                    """
                    SELECT sha256, mime, byte_size, width, height, frame_count, bytes FROM assets
                    WHERE bytes IS NOT NULL AND object_key IS NULL AND sha256 > \(start) ORDER BY sha256 LIMIT \(batch)
                    """,
                    logger: logger
                )
                var blobs: [AssetBlob] = []
                for try await (sha, mime, size, width, height, frames, bytes) in result.decode((String, String, Int, Int, Int, Int, ByteBuffer).self) {
                    let descriptor = AssetDescriptor(sha256: sha, mime: mime, byteSize: size, width: width, height: height, frameCount: frames)
                    blobs.append(AssetBlob(descriptor: descriptor, bytes: Array(bytes.readableBytesView)))
                }
                return blobs
            }
            guard let last = rows.last else { return moved }
            for blob in rows {
                guard case .object(let key) = try await storage.place(blob) else { continue }
                let switched = try await database.connection { connection -> Bool in
                    let result = try await connection.query(
                        "UPDATE assets SET object_key = \(key), bytes = NULL WHERE sha256 = \(blob.descriptor.sha256) AND bytes IS NOT NULL RETURNING 1",
                        logger: logger
                    )
                    for try await _ in result { return true }
                    return false
                }
                if switched { moved += 1 }
            }
            after = last.descriptor.sha256
            progress(moved)
        }
    }

    /// Assets that no sticker, no pack tray and no other asset (as its thumbnail) refers to.
    static let unreferenced = """
        NOT EXISTS (SELECT 1 FROM stickers s WHERE s.asset_sha256 = a.sha256)
        AND NOT EXISTS (SELECT 1 FROM sticker_packs p WHERE p.tray_sha256 = a.sha256)
        AND NOT EXISTS (SELECT 1 FROM assets i WHERE i.thumbnail_sha256 = a.sha256)
        """

    /// Deletes assets nothing refers to any more and older than `minimumAge` (`assets gc`): their rows, then their
    /// objects when an object store holds them; the hashes deleted, audited as one entry.
    ///
    /// Only assets created more than `minimumAge` ago are considered, so an upload reusing an asset it has just found
    /// is not raced. Each row is deleted by a statement that checks again that nothing refers to it; a pack written
    /// meanwhile that refers to it makes the deletion fail on the foreign key, and the asset stays. The object goes
    /// after its row (never a row without its object); an object whose deletion fails is left to `assets sweep`.
    public func collectUnreferenced(minimumAge: Duration = .seconds(86_400)) async throws -> [String] {
        // An image's thumbnail becomes unreferenced once the image is gone: passes repeat until one deletes nothing.
        var deleted: [String] = []
        while true {
            let pass = try await collectionPass(minimumAge: minimumAge)
            deleted += pass
            if pass.isEmpty { break }
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

    /// Deletes the assets unreferenced now; their hashes.
    func collectionPass(minimumAge: Duration) async throws -> [String] {
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
        return deleted
    }
}
