import CatalogCore
import Foundation

/// Who made a change, for the audit log (the token's name, never the token).
public struct Actor: Sendable, Equatable {
    public var name: String
    public init(name: String) { self.name = name }
    public static let admin = Actor(name: "admin")
    public static let seed = Actor(name: "seed")
}

/// The result of a write: the entity as stored and the catalog version the write created.
public struct WriteResult<Value: Sendable>: Sendable {
    public var value: Value
    public var catalogVersion: Int64
}

/// One page of a keyset-paginated list.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Opaque cursor for the next page; nil on the last page.
    public var nextCursor: String?
}

/// An audit log row.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var at: Date
    public var actor: String
    public var action: String
    public var entity: String
    public var summary: String
}

/// One recorded catalog change.
public struct CatalogChange: Sendable, Equatable {
    public var version: Int64
    public var entityKind: String
    public var entityId: String
    public var operation: String
}

/// Changes after a version, or why they cannot be listed.
public enum ChangesAnswer: Sendable, Equatable {
    case changes(current: Int64, [CatalogChange])
    /// The change log no longer reaches back that far.
    case expired(oldestAvailable: Int64)
    /// The version is ahead of the catalog.
    case future(current: Int64)
}

/// Sticker packs and their assets. Every write is one transaction that also bumps the catalog version, records the
/// change, writes the audit log and notifies `catalog_changed`; a refused write changes nothing.
public protocol PackRepository: Sendable {
    func storedAssets(_ sha256s: Set<String>) async throws -> [String: AssetDescriptor]
    func create(_ pack: AssembledPack, actor: Actor) async throws -> WriteResult<StoredPack>
    func replace(_ pack: AssembledPack, ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredPack>
    func patch(id: String, _ patch: PackPatch, ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredPack>
    func archive(id: String, ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredPack>
    /// Deletes an archived pack and its stickers for good (their assets are collected later, once nothing refers
    /// to them); the catalog version of the change.
    func purge(id: String, ifMatch revisions: Set<Int>?, actor: Actor) async throws -> Int64
    func addSticker(packId: String, _ sticker: StoredSticker, newAssets: [AssetBlob], ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredPack>
    func deleteSticker(packId: String, stickerId: String, ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredPack>
    func reorderStickers(packId: String, order: [String], ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredPack>
    func reorderPacks(_ order: [String], actor: Actor) async throws -> WriteResult<[String]>
    func pack(id: String) async throws -> StoredPack?
    func packs(after cursor: String?, limit: Int) async throws -> Page<StoredPack>
    func audit(after cursor: String?, limit: Int) async throws -> Page<AuditEntry>
    /// An asset's facts and its bytes, or where the store lets clients fetch them (`S3_DELIVERY=redirect`).
    func asset(sha256: String) async throws -> (AssetDescriptor, AssetContent)?
    /// An asset's bytes wherever they live (never a redirect), e.g. for an export; nil when no such asset.
    func assetBytes(sha256: String) async throws -> [UInt8]?
    func catalogContent() async throws -> CatalogContent
    func catalogVersion() async throws -> Int64
    func changes(since version: Int64) async throws -> ChangesAnswer
    func gifConfiguration() async throws -> StoredGIFConfiguration
    /// Replaces the GIF configuration (a catalog change like any pack write).
    func updateGIFConfiguration(_ update: GIFConfigurationUpdate, ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredGIFConfiguration>
}
