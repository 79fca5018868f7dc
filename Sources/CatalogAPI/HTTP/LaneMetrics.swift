import HTTPTypes
import Metrics
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Requests the byte lane answered since start (tests check that the lane, not the router, answered).
///
/// Striped: each thread adds to one of eight slots, each on a cache line of its own, so the event loops' threads
/// do not pass one line back and forth on every request (a shared counter cost a few percent of a 304).
public final class AnswerCounter: Sendable {
    private final class Stripe: Sendable {
        let count = Atomic<Int>(0)
        /// Keeps the next stripe's count off this one's cache line.
        private let padding: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    }

    private let stripes: [Stripe] = (0..<8).map { _ in Stripe() }

    public init() {}

    public var value: Int { stripes.reduce(0) { $0 + $1.count.load(ordering: .relaxed) } }

    func increment() {
        // Thread descriptors sit megabytes apart: hash the address's page number down to three bits.
        let thread = UInt64(pthread_self()) >> 12
        stripes[Int(truncatingIfNeeded: (thread &* 0x9E37_79B9_7F4A_7C15) >> 61)].count.add(1, ordering: .relaxed)
    }
}

/// The byte lane's requests in the same Prometheus series as Hummingbird's `MetricsMiddleware` (`hb_requests`,
/// `http_server_request_duration`, by route pattern, method and status), with the metric objects made once.
final class LaneMetrics: Sendable {
    static let shared = LaneMetrics()

    private struct Key: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: Int
    }

    private let cache = Mutex<[Key: (Counter, Timer)]>([:])

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
}
