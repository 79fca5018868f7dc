import CatalogCore
import Logging
import PostgresNIO

/// Moves asset bytes out of their rows into an object store (`catalog-service assets migrate --to s3`), while
/// the service keeps serving.
///
/// One asset at a time: its object is written, then one statement switches the row to the object's key and drops
/// its bytes — only while the row still holds them, so two movers or a mover and an upload never undo each other.
/// Every row is readable at every moment (bytes or key), and a run stopped anywhere is resumed by running again:
/// it picks up the rows that still hold their bytes.
public struct AssetMover: Sendable {
    let database: CatalogDatabase
    let storage: any AssetStorage
    var logger: Logger { database.logger }

    public init(database: CatalogDatabase, storage: any AssetStorage) {
        self.database = database
        self.storage = storage
    }

    /// Moves every asset still held in its row; how many were moved. `batch` rows are read at a time.
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
}
