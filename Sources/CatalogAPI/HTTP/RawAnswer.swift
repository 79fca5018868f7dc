import CatalogCore
import Foundation
import HTTPTypes
import Logging
import Metrics
import NIOCore

/// A raw route's answer: its status line and fields, rendered once (per version, or for good), and a body.
struct RawAnswer {
    enum Body {
        /// No body (304, HEAD: a HEAD answer's fields carry the GET's Content-Length).
        case none
        case buffer(ByteBuffer)
        case bytes([UInt8])
    }

    var status: HTTPResponse.Status
    /// The status line and fields, without the empty line; the lane adds `X-Request-Id`, `Date`, `Server`,
    /// `Connection` when it has to, and with a body `Content-Length`.
    var head: ByteBuffer
    var body: Body
}
