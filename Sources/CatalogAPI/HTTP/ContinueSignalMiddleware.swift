import Hummingbird
import NIOCore

/// Makes the request's connection known to `ContinueSignal` for the rest of the chain.
struct ContinueSignalMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: AppRequestContext, next: (Request, AppRequestContext) async throws -> Response) async throws -> Response {
        guard request.headers[.expect] != nil, let channel = context.channel else { return try await next(request, context) }
        return try await ContinueSignal.$channel.withValue(channel) { try await next(request, context) }
    }
}
