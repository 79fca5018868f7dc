import CatalogCore
import CatalogStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenIMContent

/// OpenIM's webhooks: `POST {url}/{command}` with the configured URL `…/v1/openim/callbacks/<secret>`.
///
/// Before-send callbacks are answered from the in-memory snapshot only, so they take microseconds and keep working
/// while PostgreSQL is away (OpenIM fails the user's message when this endpoint is slow or down). The answer is
/// always HTTP 200 with OpenIM's numeric JSON. A wrong secret is a 404, logged without its value.
struct OpenIMWebhookController {
    let snapshots: CatalogSnapshotStore
    let recorder: UsageRecorder
    let secret: [UInt8]
    let storageOrigin: String?
    /// Verdicts on identical content (a popular sticker sent again and again) per snapshot; content up to
    /// `memoizedContentBytes` only.
    let verdicts = SnapshotMemo<VerdictKey, MessageVerdict>(capacity: 4096)
    /// With `capacity`, at most 8 MB of remembered content (a sticker's literal is about 700 bytes).
    static let memoizedContentBytes = 2048

    /// Content by its JSON literal, hashed as one run of bytes (String's hashing normalises Unicode first, and an
    /// array hashes byte by byte): equal literals are equal contents, so a remembered verdict needs no unescaping.
    /// The hash is taken once, before the memo's lock, and literals are compared with `memcmp` under it.
    struct VerdictKey: Hashable, Sendable {
        let contentType: Int32
        let contentLiteral: [UInt8]
        private let hash: Int

        init(contentType: Int32, contentLiteral: [UInt8]) {
            self.contentType = contentType
            self.contentLiteral = contentLiteral
            var hasher = Hasher()
            hasher.combine(contentType)
            contentLiteral.withUnsafeBytes { hasher.combine(bytes: $0) }
            hash = hasher.finalize()
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(hash)
        }

        static func == (lhs: VerdictKey, rhs: VerdictKey) -> Bool {
            guard lhs.hash == rhs.hash, lhs.contentType == rhs.contentType, lhs.contentLiteral.count == rhs.contentLiteral.count else { return false }
            return lhs.contentLiteral.withUnsafeBytes { left in
                rhs.contentLiteral.withUnsafeBytes { right in left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0 }
            }
        }
    }

    enum Command: String {
        case beforeSendSingle = "callbackBeforeSendSingleMsgCommand"
        case beforeSendGroup = "callbackBeforeSendGroupMsgCommand"
        case beforeModify = "callbackBeforeMsgModifyCommand"
        case afterSendSingle = "callbackAfterSendSingleMsgCommand"
        case afterSendGroup = "callbackAfterSendGroupMsgCommand"
    }

    static let route = "/v1/openim/callbacks/{secret}/{command}"

    /// Answered by the byte lane too (the reply's fields are always the same); a wrong secret is left to the
    /// router, which refuses and logs it.
    func routes() -> [Route] {
        let head = ResponseWriter.statusAndFields(reply(.allow))
        let admits: @Sendable (RawRequest) -> Bool = { request in secretMatches(request.slice(request.captures[0])) }
        let lane = Route.Lane(maximumBodyBytes: CallbackRequest.maximumBodyBytes, admits: admits) { request, logger in
            let answer = answer(commandName: request.string(request.captures[1]), body: .success(request.slice(request.body)), logger: logger)
            return RawAnswer(status: .ok, head: head, body: .bytes(answer.jsonBytes))
        }
        return [Route(.post, Self.route, lane: lane) { request, context in try await self.handle(request, context: context) }]
    }

    func handle(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard secretMatches(context.parameters.get("secret") ?? "") else {
            context.logger.warning("webhook called with a wrong secret", metadata: ["http.route": .string(Self.route)])
            throw Problem.notFound("No route matches this method and path.")
        }
        let commandName = context.parameters.get("command") ?? ""
        let body: Result<[UInt8], any Error>
        do {
            body = .success(try await UploadReader.collect(request.body, limit: CallbackRequest.maximumBodyBytes))
        } catch {
            body = .failure(error)
        }
        return reply(answer(commandName: commandName, body: body, logger: { context.logger })).response
    }

    /// Whether the URL carries the configured secret (compared in constant time).
    func secretMatches(_ presented: some StringProtocol) -> Bool {
        secretMatches(presented.utf8)
    }

    func secretMatches(_ presented: some Collection<UInt8>) -> Bool {
        BearerAuthenticator.constantTimeEquals(Array(presented), secret)
    }

    /// OpenIM's numeric JSON, always with HTTP 200.
    func reply(_ answer: CallbackResponse) -> PlainResponse {
        PlainResponse.json(answer.jsonBytes)
    }

    /// The reply for one callback. Anything this service cannot judge is allowed: OpenIM blocks the user's message
    /// on any answer it cannot parse, and content that is not ours is not ours to block.
    /// `logger` is asked for only when there is something to log (a request's logger is built with its id).
    func answer(commandName: String, body: Result<some Collection<UInt8>, any Error>, logger makeLogger: () -> Logger) -> CallbackResponse {

        guard let command = Command(rawValue: commandName) else {
            makeLogger().info("webhook command not handled; allowed", metadata: ["openim.command": .string(String(commandName.prefix(64)))])
            return .allow
        }
        let callback: CallbackEssentials
        do {
            callback = try CallbackEssentials(bytes: try body.get())
        } catch {
            makeLogger().warning("webhook body unreadable; allowed", metadata: ["openim.command": .string(commandName), "error": .string("\(error)")])
            return .allow
        }
        guard let snapshot = snapshots.current else {
            makeLogger().warning("webhook before the catalog loaded; allowed", metadata: ["openim.command": .string(commandName)])
            return .allow
        }
        switch command {
        case .beforeSendSingle, .beforeSendGroup:
            let verdict = verdict(callback, snapshot: snapshot)
            if case .reject(let code, _, let detail) = verdict {
                makeLogger().info("message rejected", metadata: [
                    "openim.command": .string(commandName), "openim.serverMsgID": .string(callback.serverMsgID),
                    "reject.code": .stringConvertible(code), "reject.detail": .string(detail),
                ])
            }
            return verdict.response
        case .beforeModify:
            if let content = MessagePolicy.refreshed(contentType: callback.contentType, content: callback.content, snapshot: snapshot) {
                return .modify(content: content)
            }
            return .allow
        case .afterSendSingle, .afterSendGroup:
            let verdict = verdict(callback, snapshot: snapshot)
            let key = callback.serverMsgID.isEmpty ? callback.clientMsgID : callback.serverMsgID
            if case .allow(let usage?) = verdict, !key.isEmpty {
                recorder.add(UsageEvent(
                    messageKey: key, usage: usage, day: Self.day(sendTimeMilliseconds: callback.sendTime), senderId: StoredLibrary.isUserId(callback.sendID) ? callback.sendID : "", sendTime: callback.sendTime
                ))
            }
            return .allow
        }
    }

    /// `MessagePolicy`'s verdict on the callback's content, remembered for this snapshot.
    func verdict(_ callback: CallbackEssentials, snapshot: CatalogSnapshot) -> MessageVerdict {
        let evaluate = { MessagePolicy.evaluate(contentType: callback.contentType, content: callback.content, snapshot: snapshot, storageOrigin: storageOrigin) }
        guard callback.contentLiteral.count <= Self.memoizedContentBytes else { return evaluate() }
        return verdicts.value(for: VerdictKey(contentType: callback.contentType, contentLiteral: callback.contentLiteral), in: snapshot) { (evaluate(), true) }
    }

    /// The UTC day of a send time in milliseconds (today when OpenIM sent none).
    ///
    /// A send time that cannot be a real one counts today: none or negative, past the year 9999 (the day would not be
    /// a `YYYY-MM-DD` PostgreSQL reads, and one such event used to fail every usage flush after it, for good), or
    /// more than a day ahead of this clock (more than clock skew).
    static func day(sendTimeMilliseconds: Int64, now: Date = Date()) -> String {
        let sent = Date(timeIntervalSince1970: Double(sendTimeMilliseconds) / 1000)
        let plausible = sendTimeMilliseconds > 0 && sendTimeMilliseconds < latestDayMilliseconds && sent.timeIntervalSince(now) <= 86_400
        return ISO8601.day(plausible ? sent : now)
    }

    /// 10000-01-01T00:00:00Z in milliseconds.
    static let latestDayMilliseconds: Int64 = 253_402_300_800_000
}
