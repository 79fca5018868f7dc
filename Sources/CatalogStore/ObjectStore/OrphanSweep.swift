import Foundation
import Logging
import PostgresNIO

/// Deletes objects in the asset bucket that no asset row names (`catalog-service assets sweep`).
///
/// Uploads write objects before their transaction commits, so a refused or interrupted upload can leave an
/// object behind; it is content-addressed and harmless, and this removes it. Only objects older than `minimumAge`
/// are considered — an upload whose transaction is still running must not lose its object — and the rows are
/// checked after the listing, so an object that gained a row meanwhile stays.
public struct OrphanSweep: Sendable {
    let database: CatalogDatabase
    let store: S3AssetStorage
    var logger: Logger { database.logger }

    public init(database: CatalogDatabase, store: S3AssetStorage) {
        self.database = database
        self.store = store
    }

    /// Sweeps the whole prefix; how many objects were looked at and how many deleted.
    public func run(minimumAge: Duration = .seconds(86_400), now: Date = Date()) async throws -> (seen: Int, deleted: Int) {
        let cutoff = now.addingTimeInterval(-Double(minimumAge.components.seconds))
        var seen = 0, deleted = 0
        var continuation: String?
        repeat {
            let page = try await store.listObjects(continuation: continuation)
            continuation = page.next
            seen += page.objects.count
            let candidates = page.objects.filter { $0.modified <= cutoff }.map(\.key)
            guard !candidates.isEmpty else { continue }
            let named = try await database.connection { connection -> Set<String> in
                let rows = try await connection.query("SELECT object_key FROM assets WHERE object_key = ANY(\(candidates))", logger: logger)
                var keys = Set<String>()
                for try await key in rows.decode(String.self) { keys.insert(key) }
                return keys
            }
            for key in candidates where !named.contains(key) {
                try await store.deleteObject(key: key)
                deleted += 1
                logger.info("deleted an asset object no row names", metadata: ["object.key": .string(key)])
            }
        } while continuation != nil
        return (seen, deleted)
    }
}
