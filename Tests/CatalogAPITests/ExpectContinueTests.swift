import CatalogAPI
import CatalogTestSupport
import HummingbirdTesting
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Collects everything the server sends until the connection has delivered `until`.
final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    var received = ""
    let done: EventLoopPromise<String>
    let until: String

    init(done: EventLoopPromise<String>, until: String) {
        self.done = done
        self.until = until
    }

    let finished = Mutex(false)

    /// Completes the promise once, with what arrived so far.
    func finish() {
        let first = finished.withLock { done in
            defer { done = true }
            return !done
        }
        if first { done.succeed(received) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += String(buffer: unwrapInboundIn(data))
        if received.contains(until) { finish() }
    }

    func channelInactive(context: ChannelHandlerContext) { finish() }
}

@Suite("Expect: 100-continue is answered at once")
struct ExpectContinueTests {
    @Test func interimResponseBeforeTheBody() async throws {
        let database = try await TestService.freshDatabase()
        try await withDeadline(TestService.testLimit, "the 100-continue test's service") {
          try await TestService.serve(TestService.configuration(database: database)) { port, _ in
            let group = MultiThreadedEventLoopGroup.singleton
            let promise = group.next().makePromise(of: String.self)
            let collector = ResponseCollector(done: promise, until: "100 Continue\r\n\r\n")
            let channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) } }
                .connect(host: "127.0.0.1", port: port).get()
            // Only the head: a client honouring Expect waits for the 100 before sending the body.
            let head = "POST /v1/admin/packs HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(TestService.adminToken)\r\nContent-Type: application/zip\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"
            try await channel.writeAndFlush(ByteBuffer(string: head))
            // Without the interim response nothing arrives: give up after 5 s rather than hang.
            channel.eventLoop.scheduleTask(in: .seconds(5)) { collector.finish() }
            let interim = try await promise.futureResult.get()
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"))
            try await channel.close()
          }
        }
    }
}
