import Hummingbird
import Logging
import NIOCore

/// The request context of every route: Hummingbird's core storage plus our request id.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The `X-Request-Id` honoured from the request or generated, echoed back and logged.
    public var requestID: String = ""

    /// The connection the request came on (for the `100 Continue` its body reader asks for).
    let channel: (any Channel)?

    public init(source: Source) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Uploads are read with explicit, streamed limits; this only bounds Hummingbird's own decode helpers.
    public var maxUploadSize: Int { 1024 * 1024 }
}
