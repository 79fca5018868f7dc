import HTTPTypes
import Hummingbird
import Synchronization

/// The methods each route pattern answers, read from the router once its routes are declared, so a request's
/// method can be judged against its path (RFC 9110 §15.5.6: 405 with `Allow`).
final class RouteMethods: Sendable {
    /// One pattern's segments: a literal, or a capture (`{id}` / `:id`) that matches any one segment.
    struct Pattern: Sendable {
        enum Segment: Sendable, Equatable { case literal(Substring), capture }
        let segments: [Segment]
        var methods: Set<HTTPRequest.Method>

        init(_ path: String, methods: Set<HTTPRequest.Method>) {
            segments = path.split(separator: "/").map { segment in
                segment.hasPrefix(":") || segment.hasPrefix("{") || segment == "*" ? .capture : .literal(segment)
            }
            self.methods = methods
        }

        func matches(_ path: [Substring]) -> Bool {
            guard path.count == segments.count else { return false }
            for (segment, part) in zip(segments, path) {
                if case .literal(let literal) = segment, literal != part { return false }
            }
            return true
        }
    }

    private let patterns = Mutex<[Pattern]>([])

    init() {}

    /// Takes the router's declared routes (called once, after every route is added).
    func load<Context>(from router: Router<Context>) {
        var byPath: [String: Set<HTTPRequest.Method>] = [:]
        for route in router.routes { byPath[route.path.description, default: []].insert(route.method) }
        patterns.withLock { $0 = byPath.map { Pattern($0.key, methods: $0.value) } }
    }

    /// The methods declared for the path; empty when no route has this path. Where several patterns match
    /// (`/packs/order` and `/packs/{id}`), the router takes the most specific — a literal before a capture, from the
    /// left — and so does this.
    func declared(path: Substring) -> Set<HTTPRequest.Method> {
        let parts = path.split(separator: "/")
        return patterns.withLock { patterns in
            var best: [Bool] = []
            var methods = Set<HTTPRequest.Method>()
            for pattern in patterns where pattern.matches(parts) {
                let shape = pattern.segments.map { $0 != .capture }
                if shape.lexicographicallyPrecedes(best, by: { !$0 && $1 }) { continue }
                if shape != best { methods = [] }
                best = shape
                methods.formUnion(pattern.methods)
            }
            return methods
        }
    }
}
