import HTTPTypes
import Hummingbird
import Synchronization

/// 405 with `Allow` for a known path asked with a method it does not answer; unknown paths pass through to the
/// router's 404. (HEAD wherever GET is comes from the router's `autoGenerateHeadEndpoints`.)
struct MethodMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // A matched route has its endpoint path set: its method is declared, so routed requests cost nothing here.
        guard context.endpointPath == nil else { return try await next(request, context) }
        var declared = routes.declared(path: Substring(request.uri.path))
        if declared.contains(.get) { declared.insert(.head) }
        if declared.isEmpty || declared.contains(request.method) { return try await next(request, context) }
        throw Problem.methodNotAllowed(allowed: declared)
    }
}
