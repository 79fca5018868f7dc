import CatalogAPI
import CatalogStore
import Testing

@Suite("Migrations apply once, under an advisory lock")
struct MigrationTests {
    func migrate(_ url: DatabaseURL) async throws -> [String] {
        let database = CatalogDatabase(url: url, maximumConnections: 2, logger: TestService.logger)
        return try await withThrowingTaskGroup(of: [String]?.self) { group in
            group.addTask { await database.client.run(); return nil }
            defer { group.cancelAll() }
            return try await Migrator().migrate(client: database.client, logger: TestService.logger)
        }
    }

    @Test func applyOnAnEmptyDatabaseThenNoOp() async throws {
        let url = try await TestService.freshDatabase()
        let all = try Migrator().migrations.map(\.name)
        #expect(try await migrate(url) == all)
        #expect(try await migrate(url) == [])
        let tables = try await TestService.query(url, "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('sticker_packs','stickers','assets','catalog_state','catalog_changes','audit_log')", as: Int64.self)
        #expect(tables == [6])
        #expect(try await TestService.query(url, "SELECT version FROM catalog_state", as: Int64.self) == [0])
    }

    @Test func concurrentRunsApplyTheSchemaOnce() async throws {
        let url = try await TestService.freshDatabase()
        let results = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<2 { group.addTask { try await migrate(url) } }
            var results: [[String]] = []
            for try await result in group { results.append(result) }
            return results
        }
        let all = try Migrator().migrations.map(\.name)
        #expect(results.sorted { $0.count > $1.count } == [all, []])
        let recorded = try await TestService.query(url, "SELECT count(*) FROM schema_migrations", as: Int64.self)
        #expect(recorded == [Int64(all.count)])
    }

    @Test func statementsAreSplitOutsideQuotesAndComments() {
        let sql = "CREATE TABLE a (x text DEFAULT ';'); -- a comment; with semicolons\nINSERT INTO a VALUES ($$x;y$$);\n"
        #expect(Migrator.statements(in: sql) == ["CREATE TABLE a (x text DEFAULT ';')", "INSERT INTO a VALUES ($$x;y$$)"])
    }
}
