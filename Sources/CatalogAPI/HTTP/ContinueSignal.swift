import Hummingbird
import NIOCore

/// How a route's body reader asks for the `100 Continue` of a request that expects one: the first middleware puts
/// the request's connection in a task-local, and `UploadReader.collect` — the one way every route reads a body, so
/// always after authentication — calls `bodyWanted()`, which tells the connection's `ExpectContinueHandler`.
enum ContinueSignal {
    @TaskLocal static var channel: (any Channel)?

    static func bodyWanted() {
        guard let channel else { return }
        channel.eventLoop.execute {
            (try? channel.pipeline.syncOperations.handler(type: ExpectContinueHandler.self))?.bodyWanted()
        }
    }
}
