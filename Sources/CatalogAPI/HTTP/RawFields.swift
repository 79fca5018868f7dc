import CatalogCore
import Foundation
import HTTPTypes
import Logging
import Metrics
import NIOCore

/// The fields raw routes read, each present at most once (a request repeating one is left to the router).
struct RawFields {
    var ifNoneMatch: Range<Int>?
    var acceptEncoding: Range<Int>?
    var requestID: Range<Int>?
    var contentType: Range<Int>?
    var authorization: Range<Int>?
    /// `If-Modified-Since` is present (prepared representations leave it to the router without
    /// `If-None-Match`).
    var modifiedSince = false
}
