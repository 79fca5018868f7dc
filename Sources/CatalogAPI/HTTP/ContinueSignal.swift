import Hummingbird
import NIOCore

/// How a route's body reader asks for the `100 Continue` of a request that expects one: the first middleware puts
/// the request's connection in a task-local, and `UploadReader.collect` — the one way every route reads a body, so
/// always after authentication — calls `bodyWanted()`, which tells the connection's `ExpectContinueHandler`.
enum ContinueSignal {
    @TaskLocal static var channel: (any Channel)?

    static func bodyWanted() {
        guard let channel else { return }
        channel.eventLoop.execute {
            (try? channel.pipeline.syncOperations.handler(type: ExpectContinueHandler.self))?.bodyWanted()
        }
    }
}

/// Makes the request's connection known to `ContinueSignal` for the rest of the chain.
struct ContinueSignalMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard request.headers[.expect] != nil, let channel = context.channel else { return try await next(request, context) }
        return try await ContinueSignal.$channel.withValue(channel) { try await next(request, context) }
    }
}
