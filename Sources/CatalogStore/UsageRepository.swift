import CatalogCore
import Foundation
import Logging
import PostgresNIO

/// One sent message that used a catalog item.
public struct UsageEvent: Sendable, Hashable {
    /// OpenIM's `serverMsgID` (or `clientMsgID`): the same message counts once, however often it is reported.
    public var messageKey: String
    public var usage: CatalogUsage
    /// The UTC day of the send, `YYYY-MM-DD`.
    public var day: String
    /// Who sent it (OpenIM's `sendID`; empty when unknown): a sticker goes to the front of their recents.
    public var senderId: String
    /// When it was sent (milliseconds) and in which order it arrived: a sender's recents within a batch are in this
    /// order (OpenIM's send times are in milliseconds, so two sends can share one).
    public var sendTime: Int64
    public var arrival: Int64 = 0

    public init(messageKey: String, usage: CatalogUsage, day: String, senderId: String = "", sendTime: Int64 = 0) {
        self.messageKey = messageKey
        self.usage = usage
        self.day = day
        self.senderId = senderId
        self.sendTime = sendTime
    }
}

/// Sends in a range of days.
public struct UsageStats: Sendable, Equatable {
    public var stickers: [(stickerId: String, sends: Int64)]
    public var gifs: [(provider: String, sends: Int64)]

    public static func == (lhs: UsageStats, rhs: UsageStats) -> Bool {
        lhs.stickers.map(\.stickerId) == rhs.stickers.map(\.stickerId) && lhs.stickers.map(\.sends) == rhs.stickers.map(\.sends)
            && lhs.gifs.map(\.provider) == rhs.gifs.map(\.provider) && lhs.gifs.map(\.sends) == rhs.gifs.map(\.sends)
    }
}

/// Sticker and GIF usage from OpenIM's after-send callbacks, and the catalog's "popular" list built from it.
public protocol UsageRepository: Sendable {
    /// Counts the events whose message was not counted before; returns how many were new.
    func record(_ events: [UsageEvent]) async throws -> Int
    /// Sends per sticker (most first, at most `limit`) and per GIF provider, `from` to `to` inclusive (UTC days).
    func stats(from: String, to: String, limit: Int) async throws -> UsageStats
    /// Recomputes the top `limit` published stickers over the last `days` days; when the list changed it is
    /// published as a catalog change and the new catalog version returned. Only one replica does this at a time.
    func refreshPopular(limit: Int, days: Int) async throws -> Int64?
}

/// `UsageRepository` on PostgreSQL.
public struct PostgresUsageRepository: UsageRepository {
    let database: CatalogDatabase
    let packs: PostgresPackRepository
    /// Stickers kept in each user's recents (`LibrarySettings.recentsCap`).
    let recentsCap: Int
    var logger: Logger { database.logger }

    /// How long a message id is remembered for de-duplication: OpenIM reports a message within seconds, if at all.
    public static let dedupeRetention = "3 days"
    /// Advisory lock key of the popular-list refresh ("popular" in ASCII).
    static let popularLock: Int64 = 0x706F_7075_6C61_72

    public init(database: CatalogDatabase, recentsCap: Int = LibrarySettings().recentsCap) {
        self.database = database
        self.packs = PostgresPackRepository(database: database)
        self.recentsCap = recentsCap
    }

    public func record(_ events: [UsageEvent]) async throws -> Int {
        // One event per message: the first report wins.
        var unique: [String: UsageEvent] = [:]
        for event in events where unique[event.messageKey] == nil { unique[event.messageKey] = event }
        guard !unique.isEmpty else { return 0 }
        let byKey = unique
        let keys = Array(byKey.keys)
        return try await database.transaction { connection in
            var fresh: [UsageEvent] = []
            let rows = try await connection.query(
                "INSERT INTO usage_events (server_msg_id) SELECT unnest(\(keys)::text[]) ON CONFLICT DO NOTHING RETURNING server_msg_id",
                logger: logger
            )
            for try await key in rows.decode(String.self) { if let event = byKey[key] { fresh.append(event) } }
            var stickerCounts: [String: [String: Int64]] = [:]
            var gifCounts: [String: [String: Int64]] = [:]
            for event in fresh {
                switch event.usage {
                case .sticker(let id): stickerCounts[id, default: [:]][event.day, default: 0] += 1
                case .gif(let provider): gifCounts[provider, default: [:]][event.day, default: 0] += 1
                }
            }
            for (table, column, counts) in [("sticker_usage", "sticker_id", stickerCounts), ("gif_usage", "provider", gifCounts)] where !counts.isEmpty {
                var names: [String] = []
                var days: [String] = []
                var sends: [Int64] = []
                for (name, perDay) in counts {
                    for (day, count) in perDay {
                        names.append(name)
                        days.append(day)
                        sends.append(count)
                    }
                }
                try await connection.query(
                    PostgresQuery(unsafeSQL: """
                        INSERT INTO \(table) (\(column), day, sends)
                        SELECT name, day::date, sends FROM unnest($1::text[], $2::text[], $3::int8[]) AS t(name, day, sends)
                        ON CONFLICT (\(column), day) DO UPDATE SET sends = \(table).sends + EXCLUDED.sends
                        """, binds: try Self.binds(names, days, sends)),
                    logger: logger
                )
            }
            // Each message once (the same dedupe as the counts): the sender's recents, in send order.
            var sends: [(userId: String, stickerId: String, order: Int64)] = []
            for event in fresh where !event.senderId.isEmpty {
                if case .sticker(let id) = event.usage { sends.append((event.senderId, id, event.sendTime &* 1_000_000 &+ event.arrival % 1_000_000)) }
            }
            try await PostgresLibraryRepository.recordRecents(sends, cap: recentsCap, on: connection, logger: logger)
            try await connection.query(
                "DELETE FROM usage_events WHERE seen_at < now() - \(Self.dedupeRetention)::interval",
                logger: logger
            )
            return fresh.count
        }
    }

    static func binds(_ names: [String], _ days: [String], _ sends: [Int64]) throws -> PostgresBindings {
        var binds = PostgresBindings()
        try binds.append(names, context: .default)
        try binds.append(days, context: .default)
        try binds.append(sends, context: .default)
        return binds
    }

    public func stats(from: String, to: String, limit: Int) async throws -> UsageStats {
        try await database.read { connection in
            var stickers: [(stickerId: String, sends: Int64)] = []
            let stickerRows = try await connection.query(
                """
                SELECT sticker_id, sum(sends)::int8 AS total FROM sticker_usage
                WHERE day BETWEEN \(from)::date AND \(to)::date
                GROUP BY sticker_id ORDER BY total DESC, sticker_id LIMIT \(limit)
                """,
                logger: logger
            )
            for try await (id, sends) in stickerRows.decode((String, Int64).self) { stickers.append((id, sends)) }
            var gifs: [(provider: String, sends: Int64)] = []
            let gifRows = try await connection.query(
                """
                SELECT provider, sum(sends)::int8 AS total FROM gif_usage
                WHERE day BETWEEN \(from)::date AND \(to)::date
                GROUP BY provider ORDER BY total DESC, provider
                """,
                logger: logger
            )
            for try await (provider, sends) in gifRows.decode((String, Int64).self) { gifs.append((provider, sends)) }
            return UsageStats(stickers: stickers, gifs: gifs)
        }
    }

    public func refreshPopular(limit: Int, days: Int) async throws -> Int64? {
        try await database.transaction { connection in
            var locked = false
            for try await value in try await connection.query("SELECT pg_try_advisory_xact_lock(\(Self.popularLock))", logger: logger).decode(Bool.self) {
                locked = value
            }
            guard locked else { return nil }
            var top: [(String, Int64)] = []
            let rows = try await connection.query(
                """
                SELECT u.sticker_id, sum(u.sends)::int8 AS total
                FROM sticker_usage u
                JOIN stickers s ON s.id = u.sticker_id
                JOIN sticker_packs p ON p.id = s.pack_id AND p.status = 'published'
                WHERE u.day > (now() AT TIME ZONE 'UTC')::date - \(days)::int4
                GROUP BY u.sticker_id ORDER BY total DESC, u.sticker_id LIMIT \(limit)
                """,
                logger: logger
            )
            for try await row in rows.decode((String, Int64).self) { top.append(row) }
            var current: [String] = []
            for try await id in try await connection.query("SELECT sticker_id FROM catalog_popular ORDER BY position", logger: logger).decode(String.self) {
                current.append(id)
            }
            // Only the order of ids is published; counts moving alone change nothing.
            guard top.map(\.0) != current else { return nil }
            try await connection.query("DELETE FROM catalog_popular", logger: logger)
            for (position, (id, sends)) in top.enumerated() {
                try await connection.query(
                    "INSERT INTO catalog_popular (position, sticker_id, sends) VALUES (\(position), \(id), \(sends))", logger: logger
                )
            }
            return try await packs.commitChange(
                [.init(kind: "popular", id: "popular", operation: "upsert")],
                audit: ("popular.refresh", "catalog", "popular: \(top.prefix(10).map(\.0).joined(separator: ", "))"),
                actor: Actor(name: "usage"), on: connection
            )
        }
    }
}
