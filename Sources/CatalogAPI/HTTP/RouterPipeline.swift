import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// A connection the router serves: Hummingbird's request and response parts over the connection.
typealias RouterConnection = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

/// The router's half of a connection, built behind the byte lane when the lane hands a connection over (the first
/// request its table does not take). Most connections never need it: a client revalidating the catalog is answered
/// by the lane alone, and its connection costs no decoder, no task and no async channel.
///
/// Behind the lane: NIO's HTTP/1 decoder and encoder, `HTTP1RequestRules` (where the version is still known),
/// Hummingbird's conversion to HTTPTypes, `ExpectContinueHandler`, Hummingbird's `HTTPConnectionStateHandler` (idle
/// timeout and graceful shutdown from here on) and the async channel that `CatalogServer` serves with a task of its
/// own.
struct RouterPipeline: Sendable {
    let idleTimeout: TimeAmount?
    let logger: Logger
    /// Where connections go to be served (`CatalogServer`'s loop); finished once the server has shut down.
    let connections: AsyncStream<RouterConnection>.Continuation

    /// Builds the router's handlers behind the lane on `channel` and queues the connection to be served. Called on
    /// the channel's event loop, before the lane passes on the bytes the router is to read.
    func attach(to channel: any Channel, progress: RequestProgress) throws {
        let pipeline = channel.pipeline.syncOperations
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 80 * 1024
        limits.maxHeaderListSize = 80 * 1024
        limits.maxHeaderFieldCount = 1000
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false,  // answers are written in order by the one task reading the requests
            withErrorHandling: false,  // parse errors are answered by `ExpectContinueHandler`, after earlier answers
            withOutboundHeaderValidation: false,  // HTTPTypes validates fields already
            withEncoderConfiguration: .init(),
            withDecoderLimitConfiguration: limits
        )
        try pipeline.addHandler(HTTP1RequestRules(progress: progress))
        try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try pipeline.addHandler(ExpectContinueHandler())
        try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout.map { .nanoseconds($0.nanoseconds) }, logger: logger))
        let connection = try RouterConnection(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        if case .terminated = connections.yield(connection) {
            // The server has stopped serving: nothing would read this request.
            channel.close(promise: nil)
        }
    }
}
