import HTTPTypes
import Metrics
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The request series of Hummingbird's `MetricsMiddleware` (`hb_requests`, `http_server_request_duration`, by route
/// pattern, method and status; `http_server_active_requests` by method), with the metric objects made once: the byte
/// lane and the router's `RequestMetricsMiddleware` both record into them.
final class LaneMetrics: Sendable {
    static let shared = LaneMetrics()

    private struct Key: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: Int
    }

    private let cache = Mutex<[Key: (Counter, Timer)]>([:])
    private let activeMeters = Mutex<[HTTPRequest.Method: Meter]>([:])

    /// The series of one route, method and status (connections hold on to theirs).
    func handles(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status) -> (Counter, Timer) {
        let key = Key(route: route, method: method, status: status.code)
        return cache.withLock { cache in
            if let metrics = cache[key] { return metrics }
            let dimensions = [("http.route", route), ("http.request.method", method.rawValue), ("http.response.status_code", String(status.code))]
            let metrics = (Counter(label: "hb.requests", dimensions: dimensions),
                           Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds))
            cache[key] = metrics
            return metrics
        }
    }

    /// Requests of `method` in progress.
    func activeRequests(_ method: HTTPRequest.Method) -> Meter {
        activeMeters.withLock { meters in
            if let meter = meters[method] { return meter }
            let meter = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.rawValue)])
            meters[method] = meter
            return meter
        }
    }
}
