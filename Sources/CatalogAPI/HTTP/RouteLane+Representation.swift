import CatalogCore
import Foundation
import HTTPTypes
import Logging
import Metrics
import NIOCore

extension Route.Lane {
    /// GET and HEAD of a snapshot representation, answered from heads the responder renders once per version.
    /// `source.representation` is given the request's `key` (by default the pattern's first placeholder, empty
    /// without one) and gives nil when there is no such representation (the router answers: 404, or the refusal).
    /// `headsOnDemand` for per-query answers, most of them asked for once (see `PreparedAnswers`).
    static func representation(
        _ source: PreparedSource, capacity: Int = 4096, headsOnDemand: Bool = false,
        key: @escaping @Sendable (RawRequest) -> String = { request in request.captures.first.map(request.string) ?? "" }
    ) -> Route.Lane {
        // Prepared on first use per version (races prepare twice, harmlessly).
        let prepared = SnapshotMemo<String, PreparedAnswers?>(capacity: capacity)
        return Route.Lane { request, _ in
            // If-Modified-Since alone needs a date parsed: the router.
            guard !(request.fields.modifiedSince && request.fields.ifNoneMatch == nil), let snapshot = source.snapshots.current else { return nil }
            let key = key(request)
            let prepared = prepared.value(for: key, in: snapshot) {
                guard let answers = PreparedAnswers(snapshot: snapshot, key: key, source: source, headsOnDemand: headsOnDemand) else { return (nil, false) }
                return (answers, true)
            }
            guard let answers = prepared else { return nil }
            var coding = ConditionalRequest.CodingPreference()
            if let acceptEncoding = request.fields.acceptEncoding { coding.read(fieldLine: request.slice(acceptEncoding)) }
            let variant = coding.prefersGzip ? answers.gzip : answers.identity
            let notModified = request.fields.ifNoneMatch.map { range in
                variant.eTag.withUnsafeBufferPointer { ConditionalRequest.noneMatchFails(fieldLine: request.slice(range), current: $0) }
            } ?? false
            if notModified { return variant.head(.notModified).map { RawAnswer(status: .notModified, head: $0, body: .none) } }
            if request.method == .head { return variant.head(.okToHead).map { RawAnswer(status: .ok, head: $0, body: .none) } }
            return variant.head(.okToGet).map { RawAnswer(status: .ok, head: $0, body: .buffer(variant.body)) }
        }
    }
}
