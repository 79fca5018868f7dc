import CatalogCore
import Foundation
import HTTPTypes
import Logging
import Metrics
import NIOCore

/// A representation's answers at one version, rendered by the responder for requests that select each of them.
final class PreparedAnswers: Sendable {
    final class Variant: Sendable {
        /// The variant's entity tag, quotes included.
        let eTag: [UInt8]
        /// Status line and fields (no empty line) of the 304, the 200 to GET and the 200 to HEAD.
        let notModified: ByteBuffer
        let okToGet: ByteBuffer
        let okToHead: ByteBuffer
        let body: ByteBuffer

        init(eTag: [UInt8], notModified: ByteBuffer, okToGet: ByteBuffer, okToHead: ByteBuffer, body: ByteBuffer) {
            self.eTag = eTag
            self.notModified = notModified
            self.okToGet = okToGet
            self.okToHead = okToHead
            self.body = body
        }

        static let empty = Variant(eTag: [], notModified: ByteBuffer(), okToGet: ByteBuffer(), okToHead: ByteBuffer(), body: ByteBuffer())
    }

    let identity: Variant
    let gzip: Variant

    /// A placeholder for representations that do not exist (never served: `missing` is checked first).
    static let none = PreparedAnswers(identity: Variant.empty, gzip: Variant.empty)

    private init(identity: Variant, gzip: Variant) {
        self.identity = identity
        self.gzip = gzip
    }

    /// Nil when there is no representation for `key`, or the responder's answers are not the plain 200s and 304
    /// expected (the router answers then).
    init?(snapshot: CatalogSnapshot, key: String, source: PreparedSource) {
        guard let (representation, lastModified) = source.representation(snapshot, key) else { return nil }
        func variant(gzip: Bool) -> Variant? {
            var request = HTTPFields()
            if gzip { request[.acceptEncoding] = "gzip" }
            func respond(_ method: HTTPRequest.Method) -> PlainResponse {
                source.responder.respond(method: method, headers: request, representation: representation, lastModified: lastModified, catalogVersion: snapshot.version)
            }
            let get = respond(.get)
            let head = respond(.head)
            request[.ifNoneMatch] = "*"
            let notModified = respond(.get)
            guard get.status == .ok, let body = get.body, head.status == .ok, head.body == nil, notModified.status == .notModified, notModified.body == nil
            else { return nil }
            return Variant(
                eTag: Array((gzip ? representation.gzipETag : representation.eTag).utf8), notModified: ResponseWriter.statusAndFields(notModified),
                okToGet: ResponseWriter.statusAndFields(get), okToHead: ResponseWriter.statusAndFields(head), body: body
            )
        }
        guard let identity = variant(gzip: false), let gzip = variant(gzip: true) else { return nil }
        self.identity = identity
        self.gzip = gzip
    }
}
