import NIOCore

/// Whether a connection has a request arriving, and how fast: the `ByteLaneHandler` counts every byte read and
/// checks the rate each second while a request is in progress; a request is over when the lane answers it or the
/// decoder has read its end (`HTTP1RequestRules`), and its clock starts again when a `100 Continue` invites the
/// body the client held back. Bound to the connection's event loop.
final class RequestProgress {
    let rate: MinimumTransferRate
    private var meter: TransferMeter?

    init(rate: MinimumTransferRate) {
        self.rate = rate
    }

    var inProgress: Bool { meter != nil }

    func received(_ bytes: Int) {
        if meter == nil { meter = TransferMeter(rate: rate) }
        meter?.add(bytes)
    }

    func requestEnded() {
        meter = nil
    }

    func continueSent() {
        meter = TransferMeter(rate: rate)
    }

    func isTooSlow() -> Bool {
        meter?.isTooSlow() ?? false
    }
}
