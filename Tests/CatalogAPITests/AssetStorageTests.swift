import CatalogCore
import CatalogStore
import CatalogTestSupport
import Logging
import PostgresNIO
import Synchronization
import Testing

/// An object-store stand-in: bytes in memory under their keys, optionally failing every upload.
final class MemoryAssetStorage: AssetStorage {
    let objects = Mutex<[String: [UInt8]]>([:])
    let failSaves: Bool

    init(failSaves: Bool = false) { self.failSaves = failSaves }

    struct SaveFailed: Error {}

    func place(_ blob: AssetBlob) async throws -> AssetLocation {
        if failSaves { throw SaveFailed() }
        let key = "memory/\(blob.descriptor.sha256)"
        objects.withLock { $0[key] = blob.bytes }
        return .object(key: key)
    }

    func object(key: String) async throws -> [UInt8]? {
        objects.withLock { $0[key] }
    }
}

@Suite("Asset bytes go through the AssetStorage interface")
struct AssetStorageTests {
    func withRepository(storage: any AssetStorage, _ body: @Sendable (PostgresPackRepository, DatabaseURL) async throws -> Void) async throws {
        let url = try await TestService.freshDatabase()
        let database = CatalogDatabase(url: url, maximumConnections: 2, logger: TestService.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.client.run() }
            defer { group.cancelAll() }
            try await Migrator().migrate(client: database.client, logger: TestService.logger)
            try await body(PostgresPackRepository(database: database, storage: storage), url)
        }
    }

    static func pack() throws -> AssembledPack {
        let manifest = PackManifest(
            id: "stored", title: ["en": "Stored"], description: [:], publisher: "p", tray: .file("tray.png"), status: .published,
            position: nil, animated: nil, tags: [], stickers: [StickerManifest(id: "stored-one", asset: .file("a.png"), emojis: ["😀"], keywords: [], label: nil)]
        )
        return try PackAssembler.assemble(manifest: manifest, files: [
            UploadedFile(name: "tray.png", declaredType: nil, bytes: ImageFactory.png(width: 96, height: 96)),
            UploadedFile(name: "a.png", declaredType: nil, bytes: ImageFactory.png(width: 128, height: 128)),
        ], storedAssets: [:])
    }

    @Test func anObjectStoreHoldsTheBytesAndTheRowsHoldTheFacts() async throws {
        let storage = MemoryAssetStorage()
        try await withRepository(storage: storage) { repository, url in
            let assembled = try Self.pack()
            _ = try await repository.create(assembled, actor: .admin)
            let sha = assembled.stickers[0].asset.sha256
            // The tray and the sticker, each with its thumbnail.
            #expect(storage.objects.withLock { $0.count } == 4)
            #expect(try await TestService.query(url, "SELECT count(*) FROM assets WHERE bytes IS NULL AND object_key LIKE 'memory/%'", as: Int64.self) == [4])
            let loaded = try await repository.asset(sha256: sha)
            #expect(loaded?.1 == .bytes(ImageFactory.png(width: 128, height: 128)))
            #expect(loaded?.0.width == 128)
        }
    }

    @Test func aFailingStorageLeavesNoRows() async throws {
        try await withRepository(storage: MemoryAssetStorage(failSaves: true)) { repository, url in
            let assembled = try Self.pack()
            // The store's failure is the write's: unavailable (503 with Retry-After), with nothing recorded.
            await #expect(throws: StoreError.unavailable) { _ = try await repository.create(assembled, actor: .admin) }
            let counts = try await TestService.counts(url)
            #expect(counts == TestService.StateCounts(version: 0, packs: 0, stickers: 0, assets: 0, changes: 0, audit: 0))
        }
    }

    @Test func postgresStorageKeepsBytesInTheAssetsTable() async throws {
        try await withRepository(storage: PostgresAssetStorage()) { repository, url in
            _ = try await repository.create(try Self.pack(), actor: .admin)
            #expect(try await TestService.query(url, "SELECT count(*) FROM assets WHERE bytes IS NOT NULL AND object_key IS NULL", as: Int64.self) == [4])
        }
    }
}
