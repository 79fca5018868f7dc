import Dispatch
import Hummingbird
import Metrics

/// Hummingbird's `MetricsMiddleware` series (`hb_requests` and `http_server_request_duration` by route pattern,
/// method and status, `http_server_active_requests` by method, `hb_request_errors`) for the router's requests,
/// recorded when the response is ready.
///
/// Not Hummingbird's middleware itself: it records in a post-write closure on the body, which turns every body into a
/// streamed one, so a response went out as three yields to the event loop and two `write(2)`s (head, then body)
/// instead of one `writev`. (Measured: the CPU per router answer did not change, so this is about the syscalls and the
/// packets, not speed.) The byte lane records into the same series (`LaneMetrics`).
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let meter = LaneMetrics.shared.activeRequests(request.method)
        meter.increment()
        defer { meter.decrement() }
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status, since: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            record(request, context, status: status, since: start)
            Counter(label: "hb.request.errors", dimensions: [
                ("http.route", context.endpointPath ?? "NotFound"), ("http.request.method", request.method.rawValue),
                ("error.type", String(status.code)),
            ]).increment()
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: HTTPResponse.Status, since start: UInt64) {
        let (counter, timer) = LaneMetrics.shared.handles(route: context.endpointPath ?? "NotFound", method: request.method, status: status)
        counter.increment()
        timer.recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- start))
    }
}
