import CatalogCore
import Foundation
import HTTPTypes
import NIOCore
import Synchronization

/// A representation's answers at one version, rendered by the responder for requests that select each of them.
///
/// Each head is rendered the first time a request needs it, then kept: a search page asked once needs one of its
/// six heads (identity or gzip × 304, GET, HEAD), and rendering all six was a tenth of a search miss's CPU. The
/// catalog, asked for all version long, renders each once.
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
        /// Status line and fields (no empty line) of each answer, once rendered; an empty buffer for an answer the
        /// responder does not give plainly (the router answers those).
        private let heads = Mutex<[ByteBuffer?]>(Array(repeating: nil, count: Answer.allCases.count))
        private let render: @Sendable (Answer) -> ByteBuffer?

        init(eTag: [UInt8], body: ByteBuffer, render: @escaping @Sendable (Answer) -> ByteBuffer?) {
            self.eTag = eTag
            self.body = body
            self.render = render
        }

        /// The head of `answer`; nil when the responder's answer is not the plain one the lane sends (a 200 with
        /// this variant's body to GET, without it to HEAD, a bodiless 304).
        func head(_ answer: Answer) -> ByteBuffer? {
            if let known = heads.withLock({ $0[answer.rawValue] }) { return known.readableBytes == 0 ? nil : known }
            // Rendered outside the lock; two requests racing both render the same bytes.
            let rendered = render(answer) ?? ByteBuffer()
            heads.withLock { $0[answer.rawValue] = rendered }
            return rendered.readableBytes == 0 ? nil : rendered
        }
    }

    let identity: Variant
    let gzip: Variant

    /// Nil when there is no representation for `key`.
    init?(snapshot: CatalogSnapshot, key: String, source: PreparedSource) {
        guard let (representation, lastModified) = source.representation(snapshot, key) else { return nil }
        let version = snapshot.version
        let responder = source.responder
        func variant(gzip: Bool) -> Variant {
            let body = gzip ? representation.gzip : representation.identity
            return Variant(eTag: Array((gzip ? representation.gzipETag : representation.eTag).utf8), body: body) { answer in
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
