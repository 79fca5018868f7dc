import CatalogCore

/// Where an asset's bytes were put.
public enum AssetLocation: Sendable, Equatable {
    /// In the asset's own row (`assets.bytes`), written by the transaction that records the asset.
    case row
    /// An object in an object store (`assets.object_key`), written before that transaction commits.
    case object(key: String)
}

/// Where the bytes of assets live; their facts (hash, type, size, dimensions) are always rows in `assets`.
///
/// No database type appears here: a store is handed bytes and keys. Writes place every new asset's bytes *before*
/// the database transaction that records it begins, so a row never exists without its bytes; a refused or
/// interrupted write leaves at most an object nobody references, content-addressed and harmless (a later sweep may
/// remove it). Asset URLs keep their shape whichever store holds the bytes.
public protocol AssetStorage: Sendable {
    /// Makes `blob`'s bytes durable (an object store uploads them under a key derived from the hash, so repeating
    /// is harmless) and says where they are; `.row` leaves them to the repository, which writes them in the row.
    func place(_ blob: AssetBlob) async throws -> AssetLocation
    /// The bytes of the object at `key`; nil when the store has no such object.
    func object(key: String) async throws -> [UInt8]?
    /// Where a client may fetch the object at `key` itself (a CDN or the store's public URL, or a presigned one),
    /// or nil when the service serves the bytes.
    func deliveryURL(key: String) -> String?
    /// Deletes the object at `key` (absent already is fine): garbage collection, after its row is gone.
    func deleteObject(key: String) async throws
}

extension AssetStorage {
    public func deliveryURL(key: String) -> String? { nil }
    public func deleteObject(key: String) async throws {}
}

/// What `PackRepository.asset` found: the bytes, or the URL to send the client to.
public enum AssetContent: Sendable, Equatable {
    case bytes([UInt8])
    case redirect(String)
}

/// Asset bytes in PostgreSQL (`bytea` in each asset's row, written in the pack's own transaction), deduplicated by
/// hash: an asset shared by two packs is stored once.
public struct PostgresAssetStorage: AssetStorage {
    public init() {}

    public func place(_ blob: AssetBlob) async throws -> AssetLocation { .row }

    public func object(key: String) async throws -> [UInt8]? { nil }
}

/// An asset's bytes and where the storage put them, ready to be recorded.
struct PlacedAsset: Sendable {
    var blob: AssetBlob
    var location: AssetLocation
}
