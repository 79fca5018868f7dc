import CatalogCore
import Logging
import PostgresNIO

/// Where the bytes of assets live; their facts (hash, type, size, dimensions) are always rows in `assets`.
///
/// `PostgresAssetStorage` keeps the bytes in `assets.bytes`, written in the same transaction as the pack, so a
/// refused or interrupted upload leaves nothing behind. An object store (S3/MinIO) fits the same protocol: `save`
/// uploads under the content hash before the transaction commits — content-addressed writes are idempotent, so a
/// rolled-back upload leaves at most an unreferenced object for a sweeper — and `load` reads by hash. Asset URLs
/// keep their shape either way.
public protocol AssetStorage: Sendable {
    /// Saves `blob`'s bytes as part of the write running on `connection`.
    func save(_ blob: AssetBlob, in connection: PostgresConnection, logger: Logger) async throws
    /// The bytes stored under `sha256`, nil when there are none.
    func load(sha256: String, database: CatalogDatabase) async throws -> [UInt8]?
}

/// Asset bytes in PostgreSQL (`bytea`), deduplicated by hash: an asset shared by two packs is stored once.
public struct PostgresAssetStorage: AssetStorage {
    public init() {}

    public func save(_ blob: AssetBlob, in connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "UPDATE assets SET bytes = \(ByteBuffer(bytes: blob.bytes)) WHERE sha256 = \(blob.descriptor.sha256) AND bytes IS NULL",
            logger: logger
        )
    }

    public func load(sha256: String, database: CatalogDatabase) async throws -> [UInt8]? {
        try await database.connection { connection in
            let rows = try await connection.query("SELECT bytes FROM assets WHERE sha256 = \(sha256)", logger: database.logger)
            for try await bytes in rows.decode(ByteBuffer?.self) {
                return bytes.map { Array($0.readableBytesView) }
            }
            return nil
        }
    }
}
