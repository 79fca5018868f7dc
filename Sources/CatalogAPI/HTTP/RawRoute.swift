import CatalogCore
import Foundation
import HTTPTypes
import Logging
import Metrics
import NIOCore

/// A hot route as the byte lane answers it, straight from a request's bytes, writing its answer as bytes: the
/// catalog's and a pack's conditional reads and the GIF configuration from heads prepared per version, resolve and
/// the webhooks with their answer's fields rendered once. Derived from the route's one declaration (`Route`, its
/// `lane`), it calls the same code as the router's handler and answers what the router answers (tested); whatever
/// it declines (nil) — errors, anything needing PostgreSQL — goes to the router.
struct RawRoute: Sendable {
    let pattern: String
    let methods: [HTTPRequest.Method]
    let maximumBodyBytes: Int
    /// Whether the route would take a request from its head alone (its credentials): asked before a `100 Continue`.
    let admits: @Sendable (_ request: RawRequest) -> Bool
    /// `logger` gives the service's logger with the request's id (built only when called).
    let respond: @Sendable (_ request: RawRequest, _ logger: () -> Logger) -> RawAnswer?
    /// Literal segments as bytes; nil for a `{name}` placeholder.
    private let segments: [[UInt8]?]

    init(
        _ pattern: String, methods: [HTTPRequest.Method], maximumBodyBytes: Int = 0,
        admits: @escaping @Sendable (_ request: RawRequest) -> Bool = { _ in true },
        respond: @escaping @Sendable (_ request: RawRequest, _ logger: () -> Logger) -> RawAnswer?
    ) {
        self.pattern = pattern
        self.methods = methods
        self.maximumBodyBytes = maximumBodyBytes
        self.admits = admits
        self.respond = respond
        self.segments = pattern.split(separator: "/").map { $0.hasPrefix("{") ? nil : Array($0.utf8) }
    }

    /// The placeholders' ranges when `path` (no query, no percent-encoding) matches, as the router matches it.
    func match(_ bytes: UnsafeBufferPointer<UInt8>, path: Range<Int>) -> [Range<Int>]? {
        var captures: [Range<Int>] = []
        var index = path.lowerBound
        for segment in segments {
            guard index < path.upperBound, bytes[index] == UInt8(ascii: "/") else { return nil }
            index += 1
            let start = index
            while index < path.upperBound, bytes[index] != UInt8(ascii: "/") { index += 1 }
            guard start < index else { return nil }
            if let literal = segment {
                guard bytes[start..<index].elementsEqual(literal) else { return nil }
            } else {
                captures.append(start..<index)
            }
        }
        return index == path.upperBound ? captures : nil
    }
}
