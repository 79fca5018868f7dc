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

    /// A batch PostgreSQL refuses for what it holds (a day it cannot read) is dropped and counted as dropped, and
    /// the next batch is written. (Events kept through an outage: `WebhookTests.webhooksKeepAnsweringWhilePostgreSQLIsAway`.)
    @Test func aBatchPostgreSQLRefusesIsDroppedAndTheNextIsWritten() async throws {
        try await TestService.run { client, components in
            _ = try await ResolveTests.seed(client, components)
            let usage = components.usage
            usage.add(UsageEvent(messageKey: "unreadable-day", usage: .sticker("pk-s0"), day: "506713-02-"))
            await #expect(throws: (any Error).self) { try await usage.flush() }
            #expect(usage.pendingCount == 0)
            #expect(usage.takeDropped() == 1)
            usage.add(UsageEvent(messageKey: "readable-day", usage: .sticker("pk-s0"), day: "2026-11-30"))
            #expect(try await usage.flush() == 1)
            #expect(try await TestService.query(components.configuration.databaseURL, "SELECT day::text FROM sticker_usage", as: String.self) == ["2026-11-30"])
        }
    }
}
