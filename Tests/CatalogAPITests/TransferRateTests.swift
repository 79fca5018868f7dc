@testable import CatalogAPI
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The minimum transfer rate on every path: a trickle is refused with a problem+json 408 after the window and
/// nothing is stored; an honest slow request — slower than the idle timeout, faster than the rate — is answered.
/// Windows of 2 s (the service's default is 10 s) keep the tests short.
@Suite("Minimum transfer rate: trickles are cut off, honest slow requests are not")
struct TransferRateTests {
    static let rate = MinimumTransferRate(bytesPerSecond: 1024, window: .seconds(2))

    /// Sends `head` at once, then `body` in `pieces` pieces `interval` apart, stopping when the server has closed
    /// the connection; everything the server answered, the time it took, and whether the whole body was sent.
    static func trickle(port: Int, head: String, body: [UInt8], pieces: Int, interval: Double) async throws -> (text: String, seconds: Double, sentAll: Bool) {
        let raw = try RawHTTP(port: port, receiveTimeout: 60)
        let started = Date()
        let (text, sentAll) = try await RawHTTP.offThread { () -> (String, Bool) in
            try raw.sendBlocking(Array(head.utf8))
            let size = max(1, (body.count + pieces - 1) / pieces)
            var sentAll = true
            for start in stride(from: 0, to: body.count, by: size) {
                Thread.sleep(forTimeInterval: interval)
                guard (try? raw.sendBlocking(Array(body[start..<min(body.count, start + size)]))) != nil else {
                    sentAll = false
                    break
                }
            }
            let (bytes, _) = raw.readBlocking { _ in false }
            return (String(decoding: bytes, as: UTF8.self), sentAll)
        }
        return (text, Date().timeIntervalSince(started), sentAll)
    }

    static func expectTooSlow(_ text: String, _ label: String) {
        let answers = RawResponse.parse(Array(text.utf8))
        #expect(answers?.last?.status == 408, "\(label): \(text.prefix(300))")
        #expect(answers?.last?.header("content-type") == "application/problem+json", "\(label)")
        #expect(text.contains("request-too-slow"), "\(label)")
    }

    @Test func aTrickleIsRefusedOnTheLane() async throws {
        try await TestService.runLive(idleTimeout: .seconds(30), minimumRate: Self.rate) { port, client, components in
            _ = try await ResolveTests.seed(client, components)
            let body = Array(#"{"items":[{"kind":"sticker","id":"pk-s0"}]}"#.utf8)
            let head = "POST /v1/resolve HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(TestService.gatewayToken)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
            let (text, seconds, sentAll) = try await Self.trickle(port: port, head: head, body: body, pieces: body.count, interval: 0.5)
            Self.expectTooSlow(text, "lane")
            #expect(!sentAll, "not cut off while trickling (\(seconds) s)")
        }
    }

    @Test func aTrickleIsRefusedOnTheRouterAndNothingIsStored() async throws {
        try await TestService.runLive(idleTimeout: .seconds(30), minimumRate: Self.rate) { port, client, components in
            let upload = PackUploads.multipart(manifest: PackUploads.manifest(id: "trickled", count: 2), files: PackUploads.standardFiles(count: 2))
            let head = "POST /v1/admin/packs HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(TestService.adminToken)\r\nContent-Type: \(upload.contentType)\r\nContent-Length: \(upload.finished.count)\r\n\r\n"
            let (text, seconds, sentAll) = try await Self.trickle(port: port, head: head, body: upload.finished, pieces: 400, interval: 0.1)
            Self.expectTooSlow(text, "router")
            #expect(!sentAll, "not cut off while trickling (\(seconds) s)")
            let stored = try await client.execute(uri: "/v1/admin/packs/trickled", method: .get, headers: .admin())
            #expect(stored.status == .notFound)
        }
    }

    /// A head trickled after the router owns the connection (slowloris) is cut off too.
    @Test func aTrickledHeadIsRefusedAfterTheHandOver() async throws {
        try await TestService.runLive(idleTimeout: .seconds(30), minimumRate: Self.rate) { port, _, _ in
            let first = ByteLaneTests.routerVariant("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            let slow = Array("GET /healthz HTTP/1.1\r\nHost: a\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n".utf8)
            let (text, seconds, sentAll) = try await Self.trickle(port: port, head: first, body: slow, pieces: slow.count, interval: 0.5)
            #expect(RawResponse.parse(Array(text.utf8))?.first?.status == 200, "\(text.prefix(200))")
            Self.expectTooSlow(text, "slow head")
            #expect(!sentAll, "not cut off while trickling (\(seconds) s)")
        }
    }

    /// Above the rate, a request arriving for longer than the idle timeout is answered — on the lane (whose
    /// partial request counts as activity) and on the router.
    @Test func anHonestSlowRequestIsAnswered() async throws {
        // Raw sockets only: the suite's client, idle between its calls, would itself be closed by the short idle
        // timeout on a loaded machine. The webhook needs no seeded pack.
        try await TestService.runLive(idleTimeout: .seconds(4), minimumRate: Self.rate) { port, _, components in
            // ~3.3 KiB/s for 6 s: a callback padded with spaces, which JSON ignores.
            let callback = WebhookTests.callback("callbackBeforeSendGroupMsgCommand", contentType: 101, content: #"{"content":"hi"}"#)
            let padded = Array((String(callback.dropLast()) + String(repeating: " ", count: 20_000) + "}").utf8)
            let before = components.laneAnswers.value
            let path = "/v1/openim/callbacks/\(TestService.webhookSecret)/callbackBeforeSendGroupMsgCommand"
            let head = "POST \(path) HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: \(padded.count)\r\nConnection: close\r\n\r\n"
            let (text, seconds, _) = try await Self.trickle(port: port, head: head, body: padded, pieces: 24, interval: 0.25)
            #expect(RawResponse.parse(Array(text.utf8))?.first?.status == 200, "lane: \(text.prefix(300))")
            #expect(text.contains("\"actionCode\":0"), "lane: \(text.suffix(200))")
            #expect(components.laneAnswers.value == before + 1)
            #expect(seconds > 5)
            let upload = PackUploads.multipart(manifest: PackUploads.manifest(id: "steady", count: 2), files: PackUploads.standardFiles(count: 2))
            let uploadHead = "POST /v1/admin/packs HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer \(TestService.adminToken)\r\nContent-Type: \(upload.contentType)\r\nContent-Length: \(upload.finished.count)\r\nConnection: close\r\n\r\n"
            // In 24 pieces 0.25 s apart: 6 s, at least twice the minimum rate for an upload of 12 KiB or more.
            try #require(upload.finished.count >= 12 * 1024, "the upload is only \(upload.finished.count) bytes")
            let (uploaded, uploadSeconds, _) = try await Self.trickle(port: port, head: uploadHead, body: upload.finished, pieces: 24, interval: 0.25)
            #expect(RawResponse.parse(Array(uploaded.utf8))?.first?.status == 201, "router: \(uploaded.prefix(300))")
            #expect(uploadSeconds > 5, "the upload (\(upload.finished.count) bytes) took only \(uploadSeconds) s")
        }
    }

    @Test func theMeterCountsTheLastWindow() {
        func at(_ seconds: Double) -> NIODeadline { .uptimeNanoseconds(UInt64(seconds * 1_000_000_000)) }
        let rate = MinimumTransferRate(bytesPerSecond: 100, window: .seconds(3))
        // A burst, then silence: judged only after a whole window, then on the last three whole seconds.
        var burst = TransferMeter(rate: rate, now: at(0))
        burst.add(1000, now: at(0.5))
        #expect(!burst.isTooSlow(now: at(2.5)))
        #expect(!burst.isTooSlow(now: at(3.9)))
        #expect(burst.isTooSlow(now: at(4.1)), "seconds 1-3 brought nothing")
        // Exactly the rate is enough; a second without bytes then makes the window fall short.
        var steady = TransferMeter(rate: rate, now: at(0))
        for second in 0..<7 { steady.add(100, now: at(Double(second) + 0.5)) }
        #expect(!steady.isTooSlow(now: at(7.5)), "seconds 4-6 brought 300 bytes")
        #expect(steady.isTooSlow(now: at(8.5)), "seconds 5-7 brought 200 bytes")
        // No minimum: never too slow.
        let off = TransferMeter(rate: MinimumTransferRate(bytesPerSecond: 0, window: .seconds(1)), now: at(0))
        #expect(!off.isTooSlow(now: at(100)))
    }
}
