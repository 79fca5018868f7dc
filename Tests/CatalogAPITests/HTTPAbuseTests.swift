import CatalogAPI
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@Suite("Abusive HTTP on a real socket: floods, stalls and bodies cut short")
struct HTTPAbuseTests {
    @Test func aHeaderFloodIsRefusedWithAProblem() async throws {
        try await TestService.runLive { port, _, _ in
            // The close may come later than 10 s in a loaded run (this test took 54 s in one): wait as the suite's client does.
            let raw = try RawHTTP(port: port)
            var request = "GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            for index in 0..<3_000 { request += "X-Flood-\(index): \(String(repeating: "a", count: 40))\r\n" }
            request += "\r\n"
            try? await raw.send(request)
            let (answer, closed) = await raw.readUntilClosed()
            #expect(answer.hasPrefix("HTTP/1.1 4"), "\(answer.prefix(120))")
            #expect(answer.contains("application/problem+json"))
            #expect(closed)
            // The service is alive.
            #expect(try await RawHTTP.get(port: port, "/healthz").hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func slowClientsAreCutOffByTheIdleTimeout() async throws {
        try await TestService.runLive(idleTimeout: .seconds(1)) { port, _, _ in
            // Slowloris: half a request line and headers, then nothing.
            let slow = try RawHTTP(port: port)
            try await slow.send("GET /v1/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            let started = ContinuousClock.now
            let (_, closed) = await slow.readUntilClosed()
            #expect(closed, "the server kept a stalled connection open")
            #expect(ContinuousClock.now - started < .seconds(9))
            // A connection that never sends a byte: no request ever starts, the idle timeout alone ends it.
            let silent = try RawHTTP(port: port)
            let opened = ContinuousClock.now
            let (_, silentClosed) = await silent.readUntilClosed()
            #expect(silentClosed, "the server kept a silent connection open")
            #expect(ContinuousClock.now - opened < .seconds(9))
            #expect(try await RawHTTP.get(port: port, "/healthz").hasPrefix("HTTP/1.1 200"))
        }
    }

    /// Past `HTTP_MAX_CONNECTIONS` the server stops accepting: a new connection waits in the listen backlog and is
    /// served once others close, instead of the process reaching its file-descriptor limit, where NIO retries the
    /// failing accept in a loop (two cores busy for as long as the flood stayed open).
    @Test func connectionsPastTheCapWaitUntilOthersClose() async throws {
        var configuration = TestService.configuration(database: try await TestService.freshDatabase())
        configuration.maximumConnections = 2  // shared among the listeners: one each on two event loops
        try await TestService.serve(configuration) { port, _ in
            // Idle connections enough to fill every listener, whichever one the kernel hands each to. One read of a
            // listener accepts up to four queued connections (NIO's batch), so each listener's queue must hold at least
            // four idle ones ahead of the waiting one. With 16, a split leaving one listener three or fewer (2 % by the
            // binomial odds) let the waiting connection come in the same batch on a loaded machine, and it was answered.
            var idle: [RawHTTP] = []
            for _ in 0..<48 { idle.append(try RawHTTP(port: port)) }
            let waiting = try RawHTTP(port: port, receiveTimeout: 30)
            try await waiting.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            let answer = await withTaskGroup(of: String?.self) { group in
                group.addTask { await waiting.readUntilClosed().text }
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(700))
                    return nil
                }
                let first = await group.next() ?? nil
                #expect(first == nil, "answered while every listener held its share of the cap: \(first ?? "")")
                idle.removeAll()  // closed: the server accepts again
                return await group.next() ?? nil
            }
            #expect(answer?.hasPrefix("HTTP/1.1 200") == true, "\(answer ?? "no answer")")
        }
    }

    @Test func aBodyThatStopsMidStreamStoresNothing() async throws {
        try await TestService.runLive(idleTimeout: .seconds(1)) { port, _, components in
            let database = components.configuration.databaseURL
            let before = try await TestService.counts(database)
            let body = PackUploads.multipart(manifest: PackUploads.manifest(id: "cut"), files: PackUploads.standardFiles(count: 2))
            let bytes = body.finished
            let head = "POST /v1/admin/packs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(TestService.adminToken)\r\n"
                + "Content-Type: \(body.contentType)\r\nContent-Length: \(bytes.count)\r\n\r\n"
            // Half the body, then a stall: the idle timeout ends it.
            let stalled = try RawHTTP(port: port)
            try await stalled.send(Array(head.utf8) + Array(bytes.prefix(bytes.count / 2)))
            let (_, closed) = await stalled.readUntilClosed()
            #expect(closed)
            // Half the body, then the client goes away.
            do {
                let abandoned = try RawHTTP(port: port)
                try await abandoned.send(Array(head.utf8) + Array(bytes.prefix(bytes.count / 3)))
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await TestService.counts(database) == before)
            // The same upload, whole, succeeds. (Its answer may take a while in a loaded parallel run: run 17 of a
            // 30-run attempt waited past a 10 s receive timeout; the deadline is the suite client's.)
            let whole = try await RawHTTP.exchange(
                port: port, Array(head.replacingOccurrences(of: "\r\n\r\n", with: "\r\nConnection: close\r\n\r\n").utf8) + bytes
            )
            #expect(whole.hasPrefix("HTTP/1.1 201"), "\(whole.prefix(300))")
        }
    }
}
