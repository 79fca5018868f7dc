import Foundation
import Testing

/// The suite starts processes while other tests talk to their services (the fault tests restart a PostgreSQL
/// cluster). A child must not inherit those connections: NIO accepts sockets without `SOCK_CLOEXEC`, and a child
/// that outlives the command — `pg_ctl start`'s postmaster — would hold every connection open at that moment, so a
/// connection the service closed sent no FIN and its client waited for a close that never came.
@Suite("Processes the suite starts inherit none of its connections")
struct SpawnedChildTests {
    @Test func aConnectionClosedByTheServiceClosesWhileALongLivedChildRuns() async throws {
        try await TestService.runLive(idleTimeout: .seconds(600)) { port, _, _ in
            let raw = try RawHTTP(port: port, receiveTimeout: 20)
            // Answered, so the service has accepted the connection before the child starts.
            try await raw.send("HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let (_, first) = try await RawHTTP.offThread { raw.readBlocking(until: { RawResponse.parse($0, bodyless: [true])?.count == 1 }) }
            try #require(first == .enough)
            // A child that stays behind after the command returns, as a postmaster does after `pg_ctl start`.
            try await FaultCluster.spawn("sleep 25 </dev/null >/dev/null 2>&1 &")
            try await raw.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            let (text, closed) = await raw.readUntilClosed()
            #expect(text.hasPrefix("HTTP/1.1 200"), "\(text.prefix(200))")
            #expect(closed, "the service's close never reached the client")
        }
    }
}
