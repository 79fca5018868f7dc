@testable import CatalogAPI
import CatalogCore
import CatalogStore
import Foundation
import Testing

/// After-send webhooks carry OpenIM's `sendTime`, which any caller of the webhook sets: no value of it may stop
/// usage from being recorded.
@Suite("Usage recording survives implausible send times and batches PostgreSQL refuses")
struct UsageRecordingTests {
    @Test func anImplausibleSendTimeCountsToday() throws {
        let now = try #require(ISO8601.parseDay("2026-11-30")).addingTimeInterval(12 * 3_600)
        let day = { (milliseconds: Int64) in OpenIMWebhookController.day(sendTimeMilliseconds: milliseconds, now: now) }
        #expect(day(1_719_800_000_123) == "2024-07-01")
        #expect(day(Int64(now.timeIntervalSince1970 * 1000) + 3_600_000) == "2026-11-30")
        // None, negative, past the year 9999, or days ahead: today.
        for bogus in [0, -5, Int64.min, Int64.max, 253_402_300_800_000, Int64(now.timeIntervalSince1970 * 1000) + 3 * 86_400_000] {
            #expect(day(bogus) == "2026-11-30", "\(bogus)")
        }
        #expect(OpenIMWebhookController.day(sendTimeMilliseconds: 253_402_300_799_999, now: Date(timeIntervalSince1970: 253_402_300_000)) == "9999-12-31")
    }

    @Test func anAfterSendFromTheFarFutureIsCountedAndDoesNotBlockTheFlush() async throws {
        try await TestService.run { client, components in
            _ = try await ResolveTests.seed(client, components)
            let content = try await WebhookTests.stickerContent(client, "pk-s0")
            let command = "callbackAfterSendGroupMsgCommand"
            let normal = WebhookTests.callback(command, contentType: 110, content: content, serverMsgID: "plain")
            let farFuture = WebhookTests.callback(command, contentType: 110, content: content, serverMsgID: "far")
                .replacingOccurrences(of: #""sendTime":1719800000123"#, with: #""sendTime":9223372036854775807"#)
            #expect(farFuture.contains("9223372036854775807"))
            for body in [normal, farFuture] {
                WebhookTests.expectReply(try await WebhookTests.send(client, command, body), rejectCode: nil)
            }
            #expect(try await components.usage.flush() == 2)
            let days = try await TestService.query(components.configuration.databaseURL, "SELECT day::text FROM sticker_usage ORDER BY day", as: String.self)
            #expect(days == ["2024-07-01", ISO8601.day(Date())])
        }
    }

    /// A repository that fails every write with the given error.
    struct FailingRepository: UsageRepository {
        let error: any Error
        func record(_ events: [UsageEvent]) async throws -> Int { throw error }
        func stats(from: String, to: String, limit: Int) async throws -> UsageStats { throw error }
        func refreshPopular(limit: Int, days: Int) async throws -> Int64? { nil }
    }

    struct RefusedBatch: Error {}

    @Test func aBatchPostgreSQLRefusesIsDroppedAndAnOutageKeepsIt() async throws {
        let events = (0..<3).map { UsageEvent(messageKey: "m\($0)", usage: .sticker("pk-s0"), day: "2026-11-30") }

        let outage = UsageRecorder(repository: FailingRepository(error: StoreError.unavailable))
        for event in events { outage.add(event) }
        await #expect(throws: StoreError.self) { try await outage.flush() }
        #expect(outage.pendingCount == 3)
        #expect(outage.takeDropped() == 0)

        let refused = UsageRecorder(repository: FailingRepository(error: RefusedBatch()))
        for event in events { refused.add(event) }
        await #expect(throws: RefusedBatch.self) { try await refused.flush() }
        #expect(refused.pendingCount == 0)
        #expect(refused.takeDropped() == 3)
    }
}
