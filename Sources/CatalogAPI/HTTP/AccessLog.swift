import Foundation
import HTTPTypes
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One line per request, in the very format of swift-log's `StreamLogHandler` (which every other line of the
/// service goes through) — `<time> info <label>: duration.ms=… http.method=… http.route=… http.status=…
/// request.id=… [CatalogAPI] request` — for the router and the byte lane alike.
///
/// Lines are formatted into a buffer (a few appends under a lock; the timestamp is formatted once per second) and
/// written to standard error in batches by `run`, every 100 ms, as nginx buffers its access log: the per-request
/// work is a copy, not a `strftime`, a metadata dictionary and a system call. A buffer past `synchronousBytes` is
/// written by the request that filled it, so a stalled flusher never costs unbounded memory. Requests are logged at
/// `info`; with the logger above it (`LOG_LEVEL=warning`) nothing is recorded.
public final class AccessLog: Service, Sendable {
    public let isEnabled: Bool
    /// ` info <label>: duration.ms=`
    private let afterTimestamp: [UInt8]
    private let output: @Sendable ([UInt8]) -> Void
    private let state = Mutex(State())
    static let synchronousBytes = 1 << 20

    private struct State {
        var pending: [UInt8] = []
        var second = -1
        var timestamp: [UInt8] = []
    }

    /// `output` receives whole lines (standard error unless a test captures them).
    public init(logger: Logger, output: (@Sendable ([UInt8]) -> Void)? = nil) {
        isEnabled = logger.logLevel <= .info
        afterTimestamp = Array(" \(Logger.Level.info) \(logger.label): duration.ms=".utf8)
        self.output = output ?? AccessLog.standardError
    }

    /// Records one request; `writeID` appends the request id's text.
    func record(
        method: HTTPRequest.Method, route: String, status: Int, nanoseconds: UInt64, writeID: (inout [UInt8]) -> Void
    ) {
        guard isEnabled else { return }
        let now = time(nil)
        let full: [UInt8]? = state.withLock { state in
            if state.second != now {
                state.second = now
                state.timestamp = Self.timestamp(now)
            }
            state.pending.append(contentsOf: state.timestamp)
            state.pending.append(contentsOf: afterTimestamp)
            Self.writeMilliseconds(nanoseconds, into: &state.pending)
            state.pending.append(contentsOf: " http.method=".utf8)
            state.pending.append(contentsOf: method.rawValue.utf8)
            state.pending.append(contentsOf: " http.route=".utf8)
            state.pending.append(contentsOf: route.utf8)
            state.pending.append(contentsOf: " http.status=".utf8)
            Self.writeDecimal(UInt64(max(0, status)), into: &state.pending)
            state.pending.append(contentsOf: " request.id=".utf8)
            writeID(&state.pending)
            state.pending.append(contentsOf: " [CatalogAPI] request\n".utf8)
            guard state.pending.count >= Self.synchronousBytes else { return nil }
            defer { state.pending = [] }
            return state.pending
        }
        if let full { output(full) }
    }

    /// Writes what is buffered.
    public func flush() {
        let lines = state.withLock { state in
            defer { state.pending.removeAll(keepingCapacity: true) }
            return state.pending
        }
        if !lines.isEmpty { output(lines) }
    }

    /// Flushes every 100 ms until graceful shutdown, then once more. Listed first among the application's services,
    /// it stops last, after the server has answered its last request.
    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(100))
            flush()
        }
        flush()
    }

    /// `%.2f` of the milliseconds, without a formatter.
    static func writeMilliseconds(_ nanoseconds: UInt64, into buffer: inout [UInt8]) {
        let hundredths = (nanoseconds + 5_000) / 10_000
        writeDecimal(hundredths / 100, into: &buffer)
        buffer.append(UInt8(ascii: "."))
        buffer.append(UInt8(ascii: "0") + UInt8(hundredths / 10 % 10))
        buffer.append(UInt8(ascii: "0") + UInt8(hundredths % 10))
    }

    static func writeDecimal(_ value: UInt64, into buffer: inout [UInt8]) {
        guard value >= 10 else { return buffer.append(UInt8(ascii: "0") + UInt8(value)) }
        writeDecimal(value / 10, into: &buffer)
        buffer.append(UInt8(ascii: "0") + UInt8(value % 10))
    }

    /// `StreamLogHandler`'s timestamp: local time, `%Y-%m-%dT%H:%M:%S%z`.
    static func timestamp(_ seconds: Int) -> [UInt8] {
        var seconds = seconds
        var local = tm()
        guard localtime_r(&seconds, &local) != nil else { return Array("<unknown>".utf8) }
        var buffer = [Int8](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        return buffer[..<count].map { UInt8(bitPattern: $0) }
    }

    /// One `write` per batch of whole lines (`StreamLogHandler` writes each of its lines with one `write` to the same
    /// unbuffered stream, so lines never interleave inside each other).
    @Sendable static func standardError(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
