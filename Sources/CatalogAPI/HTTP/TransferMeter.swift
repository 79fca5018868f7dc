import NIOCore

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
