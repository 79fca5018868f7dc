import FuzzRequests
import Foundation

/// Counts of what was sent and answered, by route family and status class; printed when the run ends, so a run
/// doubles as the report of a mutated-request run ("N requests, every answer 2xx/3xx or 4xx problem+json").
struct FuzzStatistics {
    var requests = 0
    var byFamily: [String: [String: Int]] = [:]

    static func family(of request: [UInt8]) -> String {
        guard let parsed = RawRequest(request) else { return "unparsed" }
        let target = Bytes.text(parsed.target)
        let path = target.split(separator: "?").first.map(String.init) ?? target
        let contentType = Bytes.text(Bytes.lowercased(parsed.header("content-type") ?? []))
        let kind = contentType.contains("multipart") ? " multipart" : contentType.contains("zip") ? " zip" : contentType.contains("json") ? " json" : ""
        let segments = path.split(separator: "/").prefix(3).map { $0.count > 24 ? "…" : String($0) }
        if path.hasPrefix("/v1/openim/callbacks/") { return Bytes.text(parsed.method) + " /v1/openim/callbacks" + kind }
        return Bytes.text(parsed.method).prefix(8) + " /" + segments.joined(separator: "/") + kind
    }

    mutating func record(request: [UInt8], answer: Exchange.Answer?, timedOut: Bool) {
        requests += 1
        let outcome = answer.map { "\($0.status / 100)xx" } ?? (timedOut ? "timeout" : "closed")
        byFamily[Self.family(of: request), default: [:]][outcome, default: 0] += 1
    }

    func report() {
        var lines = ["fuzz-service: \(requests) requests"]
        for (family, outcomes) in byFamily.sorted(by: { $0.value.values.reduce(0, +) > $1.value.values.reduce(0, +) }).prefix(60) {
            lines.append("  \(family): " + outcomes.sorted(by: { $0.key < $1.key }).map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// Prints what went wrong and aborts, so libFuzzer keeps the input as a crash.
    static func fail(_ reason: String, _ request: [UInt8]) -> Never {
        let head = Bytes.text(Array(request.prefix(400)))
        FileHandle.standardError.write(Data("fuzz-service FINDING: \(reason)\n--- request (first 400 bytes) ---\n\(head)\n---\n".utf8))
        abort()
    }
}
