import NIOCore

/// The slowest a request may arrive (RFC 9110 leaves it to the server; nginx's `client_body_timeout` and Apache's
/// `mod_reqtimeout` `minrate` are the models): once a request has been arriving for `window`, what arrived in the
/// last `window` must reach `bytesPerSecond × window`. A body trickling a byte every two seconds — which resets any
/// idle timer forever — is cut off after the window; an honest slow upload, at more than the rate, never is.
public struct MinimumTransferRate: Sendable, Equatable {
    /// 0 turns the check off.
    public var bytesPerSecond: Int
    public var window: Duration

    public init(bytesPerSecond: Int = 1024, window: Duration = .seconds(10)) {
        self.bytesPerSecond = bytesPerSecond
        self.window = window
    }

    var windowSeconds: Int { max(1, Int(window.components.seconds)) }

    static let refusal = Problem(
        .requestTimeout, type: Problem.kind("request-too-slow"), title: "Request arriving too slowly",
        detail: "The request arrived more slowly than the server's minimum transfer rate; send it again at a steadier pace."
    )
}

/// Bytes received per second over the last `window` seconds, for one request in progress.
struct TransferMeter {
    private let rate: MinimumTransferRate
    /// Ring of (second, bytes) for the window's whole seconds and the second now filling.
    private var buckets: [(second: Int64, bytes: Int)]
    private let started: Int64

    init(rate: MinimumTransferRate, now: NIODeadline = .now()) {
        self.rate = rate
        buckets = Array(repeating: (-1, 0), count: rate.windowSeconds + 1)
        started = Self.second(now)
    }

    private static func second(_ deadline: NIODeadline) -> Int64 { Int64(deadline.uptimeNanoseconds / 1_000_000_000) }

    mutating func add(_ bytes: Int, now: NIODeadline = .now()) {
        let second = Self.second(now)
        let index = Int(second % Int64(buckets.count))
        if buckets[index].second == second {
            buckets[index].bytes += bytes
        } else {
            buckets[index] = (second, bytes)
        }
    }

    /// Whether the request has been arriving for a whole window and the window's whole seconds (the second now
    /// filling left out) brought less than the rate.
    func isTooSlow(now: NIODeadline = .now()) -> Bool {
        guard rate.bytesPerSecond > 0 else { return false }
        let second = Self.second(now)
        let window = Int64(rate.windowSeconds)
        guard second - started > window else { return false }
        let received = buckets.reduce(0) { sum, bucket in bucket.second >= second - window && bucket.second < second ? sum + bucket.bytes : sum }
        return received < rate.bytesPerSecond * rate.windowSeconds
    }
}

/// Whether a connection has a request arriving, and how fast: the `ByteLaneHandler` counts every byte read and
/// checks the rate each second while a request is in progress; a request is over when the lane answers it or the
/// decoder has read its end (`HTTP1RequestRules`), and its clock starts again when a `100 Continue` invites the
/// body the client held back. Bound to the connection's event loop.
final class RequestProgress {
    let rate: MinimumTransferRate
    private var meter: TransferMeter?

    init(rate: MinimumTransferRate) {
        self.rate = rate
    }

    var inProgress: Bool { meter != nil }

    func received(_ bytes: Int) {
        if meter == nil { meter = TransferMeter(rate: rate) }
        meter?.add(bytes)
    }

    func requestEnded() {
        meter = nil
    }

    func continueSent() {
        meter = TransferMeter(rate: rate)
    }

    func isTooSlow() -> Bool {
        meter?.isTooSlow() ?? false
    }
}
