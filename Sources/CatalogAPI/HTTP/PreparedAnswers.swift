import CatalogCore
import Foundation
import HTTPTypes
import NIOCore
import Synchronization

/// A representation's answers at one version, rendered by the responder for requests that select each of them.
///
/// Representations served all version long (the catalog, packs, the GIF configuration) render their six heads
/// (identity or gzip × 304, GET, HEAD) at once and read them without a lock. Per-query answers (search pages) render
/// each head the first time a request needs it: a page asked once needs one of six, and rendering all six was a
/// tenth of a search miss's CPU.
final class PreparedAnswers: Sendable {
    /// What a request selects within a variant.
    enum Answer: Int, CaseIterable {
        case notModified, okToGet, okToHead

        var method: HTTPRequest.Method { self == .okToHead ? .head : .get }
    }

    final class Variant: Sendable {
        /// The variant's entity tag, quotes included.
        let eTag: [UInt8]
        let body: ByteBuffer
        /// Status line and fields (no empty line) of each answer: all of them rendered at once, or (nil) each once
        /// first asked for, in `onDemand`. An empty buffer stands for an answer the responder does not give plainly
        /// (the router answers those).
        private let rendered: [ByteBuffer]?
        private let onDemand = Mutex<[ByteBuffer?]>(Array(repeating: nil, count: Answer.allCases.count))
        private let render: @Sendable (Answer) -> ByteBuffer?

        init(eTag: [UInt8], body: ByteBuffer, headsOnDemand: Bool, render: @escaping @Sendable (Answer) -> ByteBuffer?) {
            self.eTag = eTag
            self.body = body
            self.render = render
            rendered = headsOnDemand ? nil : Answer.allCases.map { render($0) ?? ByteBuffer() }
        }

        /// The head of `answer`; nil when the responder's answer is not the plain one the lane sends (a 200 with
        /// this variant's body to GET, without it to HEAD, a bodiless 304).
        func head(_ answer: Answer) -> ByteBuffer? {
            let head = rendered?[answer.rawValue] ?? renderedOnDemand(answer)
            return head.readableBytes == 0 ? nil : head
        }

        private func renderedOnDemand(_ answer: Answer) -> ByteBuffer {
            if let known = onDemand.withLock({ $0[answer.rawValue] }) { return known }
            // Rendered outside the lock; two requests racing both render the same bytes.
            let head = render(answer) ?? ByteBuffer()
            onDemand.withLock { $0[answer.rawValue] = head }
            return head
        }
    }

    let identity: Variant
    let gzip: Variant

    /// Nil when there is no representation for `key`. `headsOnDemand`: render each head when first asked for.
    init?(snapshot: CatalogSnapshot, key: String, source: PreparedSource, headsOnDemand: Bool) {
        guard let (representation, lastModified) = source.representation(snapshot, key) else { return nil }
        let version = snapshot.version
        let responder = source.responder
        func variant(gzip: Bool) -> Variant {
            let body = gzip ? representation.gzip : representation.identity
            return Variant(eTag: Array((gzip ? representation.gzipETag : representation.eTag).utf8), body: body, headsOnDemand: headsOnDemand) { answer in
                var request = HTTPFields()
                if gzip { request[.acceptEncoding] = "gzip" }
                if answer == .notModified { request[.ifNoneMatch] = "*" }
                let response = responder.respond(
                    method: answer.method, headers: request, representation: representation, lastModified: lastModified, catalogVersion: version
                )
                let plain = switch answer {
                case .notModified: response.status == .notModified && response.body == nil
                case .okToGet: response.status == .ok && response.body == body
                case .okToHead: response.status == .ok && response.body == nil
                }
                return plain ? ResponseWriter.statusAndFields(response) : nil
            }
        }
        identity = variant(gzip: false)
        gzip = variant(gzip: true)
    }
}
