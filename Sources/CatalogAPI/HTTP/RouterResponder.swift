import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// The router as the connections' tasks call it: one request in, its response written with `Date` and `Server`.
/// What Hummingbird's `Application` does around its responder, for the server this service runs itself.
enum RouterResponder {
    /// A response failed to write because the request turned out malformed; the connection is closed without a
    /// second answer.
    struct WriteFailed: Error {}

    static func make<Responder: HTTPResponder>(_ responder: Responder, serverName: String, logger: Logger) -> HTTPChannelHandler.Responder
    where Responder.Context == AppRequestContext {
        { request, writer, channel in
            let context = AppRequestContext(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                // Answered by the connection's handler (400, then close).
                throw error
            } catch {
                // ProblemMiddleware answers every error it is given; this is what reaches past it.
                logger.error("unanswered error", metadata: ["error": "\(String(reflecting: error))"])
                response = Response(status: .internalServerError)
            }
            response.headers[.date] = HTTPDateCache.now()
            response.headers[.server] = serverName
            do {
                try await writer.write(response: response.head, body: response.body)
            } catch is HTTPParserError {
                throw WriteFailed()
            }
        }
    }
}
