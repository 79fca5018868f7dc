import NIOCore

/// The slowest a request may arrive (RFC 9110 leaves it to the server; nginx's `client_body_timeout` and Apache's
/// `mod_reqtimeout` `minrate` are the models): once a request has been arriving for `window`, what arrived in the
/// last `window` must reach `bytesPerSecond × window`. A body trickling a byte every two seconds — which resets any
/// idle timer forever — is cut off after the window; an honest slow upload, at more than the rate, never is.
public struct MinimumTransferRate: Sendable, Equatable {
    /// 0 turns the check off.
    public var bytesPerSecond: Int
    public var window: Duration

    public init(bytesPerSecond: Int = 1024, window: Duration = .seconds(10)) {
        self.bytesPerSecond = bytesPerSecond
        self.window = window
    }

    var windowSeconds: Int { max(1, Int(window.components.seconds)) }

    static let refusal = Problem(
        .requestTimeout, type: Problem.kind("request-too-slow"), title: "Request arriving too slowly",
        detail: "The request arrived more slowly than the server's minimum transfer rate; send it again at a steadier pace."
    )
}
