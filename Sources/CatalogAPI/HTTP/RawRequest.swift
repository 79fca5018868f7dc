import CatalogCore
import Foundation
import HTTPTypes
import Logging
import Metrics
import NIOCore

/// What a raw route reads of a request: byte ranges into the request's own bytes. No string, header field or
/// request value is built unless a route asks for one.
struct RawRequest {
    let bytes: UnsafeBufferPointer<UInt8>
    let method: HTTPRequest.Method
    /// The pattern's placeholder values, in order.
    let captures: [Range<Int>]
    /// The target after `?` (up to a `#`), as sent: still percent-encoded.
    let query: Range<Int>?
    let fields: RawFields
    let body: Range<Int>

    func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[range]) }
    func string(_ range: Range<Int>) -> String { String(decoding: slice(range), as: UTF8.self) }
    /// The query as the router's `uri.query` gives it; empty without one.
    var queryText: String { query.map(string) ?? "" }
}
