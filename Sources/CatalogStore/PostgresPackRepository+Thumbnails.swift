import CatalogCore
import Logging
import PostgresNIO

extension PostgresPackRepository {
    /// Makes the thumbnails of images stored before thumbnails existed (`catalog-service assets thumbnails`): each
    /// sticker image and tray without one, read from wherever its bytes live. One catalog version records them all,
    /// so every replica's catalog gains its `thumbnailUrl`s at the same version. Returns how many were made and that
    /// version (nil when none was needed). Images with no thumbnail to make (TGS, a WebM whose first frame does not
    /// decode) are counted as skipped and looked at again on the next run.
    public func makeMissingThumbnails(progress: @Sendable (Int) -> Void = { _ in }) async throws -> (made: Int, skipped: Int, catalogVersion: Int64?) {
        let candidates = try await database.connection { connection -> [String] in
            let rows = try await connection.query(
                """
                SELECT a.sha256 FROM assets a
                WHERE a.thumbnail_sha256 IS NULL
                  AND (EXISTS (SELECT 1 FROM stickers s WHERE s.asset_sha256 = a.sha256)
                       OR EXISTS (SELECT 1 FROM sticker_packs p WHERE p.tray_sha256 = a.sha256))
                ORDER BY a.sha256
                """,
                logger: logger
            )
            var found: [String] = []
            for try await sha in rows.decode(String.self) { found.append(sha) }
            return found
        }
        var made: [String] = []
        var skipped = 0
        for sha in candidates {
            guard let bytes = try await assetBytes(sha256: sha), let image = try? ImageInspector.inspect(bytes),
                  let thumbnail = try? Thumbnailer.thumbnail(of: bytes, image: image)
            else {
                skipped += 1
                continue
            }
            let blob = thumbnail.blob
            let placed = try await place([blob])
            try await write { connection in
                try await insertAssets(placed, on: connection)
                try await connection.query(
                    "UPDATE assets SET thumbnail_sha256 = \(blob.descriptor.sha256) WHERE sha256 = \(sha) AND thumbnail_sha256 IS NULL",
                    logger: logger
                )
            }
            made.append(sha)
            progress(made.count)
        }
        guard !made.isEmpty else { return (0, skipped, nil) }
        let summary = "made \(made.count) thumbnails for images stored without one"
        let images = made
        let version = try await write { connection -> Int64 in
            let rows = try await connection.query(
                """
                SELECT DISTINCT p.id, p.status FROM sticker_packs p LEFT JOIN stickers s ON s.pack_id = p.id
                WHERE p.tray_sha256 = ANY(\(images)) OR s.asset_sha256 = ANY(\(images)) ORDER BY p.id
                """,
                logger: logger
            )
            var changes: [Change] = []
            for try await (id, status) in rows.decode((String, String).self) where status == PackStatus.published.rawValue {
                changes.append(Change(kind: "pack", id: id, operation: "upsert"))
            }
            return try await commitChange(changes, audit: ("asset.thumbnails", "assets", summary), actor: Actor(name: "maintenance"), on: connection)
        }
        return (made.count, skipped, version)
    }
}
