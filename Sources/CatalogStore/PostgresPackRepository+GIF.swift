import CatalogCore
import Foundation
import OpenIMContent
import PostgresNIO

extension PostgresPackRepository {
    func loadGIFConfiguration(on connection: PostgresConnection, lock: Bool = false) async throws -> StoredGIFConfiguration {
        let rows = try await connection.query(
            "SELECT document::text, revision, updated_at, server_api_key IS NOT NULL FROM gif_config \(unescaped: lock ? "FOR UPDATE" : "")",
            logger: logger
        )
        for try await (document, revision, updatedAt, keySet) in rows.decode((String, Int, Date, Bool).self) {
            // The row was written by `updateGIFConfiguration` after the same parser accepted it.
            guard let configuration = GIFConfigurationParser.stored(Array(document.utf8)) else {
                throw StoreError.invalid([FieldIssue(field: "gif_config", message: "the stored document no longer parses")])
            }
            return StoredGIFConfiguration(configuration: configuration, revision: revision, updatedAt: updatedAt, serverApiKeySet: keySet)
        }
        return .initial
    }

    public func gifConfiguration() async throws -> StoredGIFConfiguration {
        try await database.read { try await loadGIFConfiguration(on: $0) }
    }

    public func updateGIFConfiguration(_ update: GIFConfigurationUpdate, ifMatch revisions: Set<Int>?, actor: Actor) async throws -> WriteResult<StoredGIFConfiguration> {
        try await database.transaction { connection in
            let current = try await loadGIFConfiguration(on: connection, lock: true)
            if let revisions, !revisions.contains(current.revision) { throw StoreError.preconditionFailed(currentETag: current.eTag) }
            var writer = JSONWriter(capacity: 1024)
            update.configuration.write(to: &writer, revision: nil, updatedAt: nil, serverApiKeySet: nil)
            let document = writer.string
            var keep = false
            var key: String?
            switch update.serverApiKey {
            case .keep: keep = true
            case .clear: key = nil
            case .set(let value): key = value
            }
            try await connection.query(
                """
                UPDATE gif_config SET document = \(document)::jsonb,
                    server_api_key = CASE WHEN \(keep) THEN server_api_key ELSE \(key) END,
                    revision = revision + 1, updated_at = date_trunc('second', now())
                """,
                logger: logger
            )
            let stored = try await loadGIFConfiguration(on: connection)
            let config = stored.configuration
            var summary = "provider \(config.provider.rawValue), \(config.enabled ? "enabled" : "disabled"), \(config.allowedHosts.count) hosts"
            switch update.serverApiKey {
            case .keep: break
            case .clear: summary += ", server key removed"
            case .set: summary += ", server key set"
            }
            let version = try await commitChange(
                [Change(kind: "gif_config", id: "gif", operation: "upsert")],
                audit: ("gif-config.update", "gif-config", summary), actor: actor, on: connection
            )
            return WriteResult(value: stored, catalogVersion: version)
        }
    }
}
