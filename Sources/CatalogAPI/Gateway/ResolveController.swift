import CatalogCore
import CatalogStore
import Foundation
import HTTPTypes
import Hummingbird
import OpenIMContent

/// The gateway's routes that turn references into OpenIM bodies: a batch of contents, or one whole `/msg/send_msg`
/// body to forward untouched.
struct ResolveController {
    let resolver: ContentResolver
    /// Successfully resolved stickers' item JSON per snapshot, by id, format and fallback text.
    let stickerItems = SnapshotMemo<StickerItemKey, [UInt8]>(capacity: 16_384)
    /// The answer's status line and fields per snapshot (they carry its version), for the raw route.
    let answerHeads = SnapshotMemo<Int, ByteBuffer>(capacity: 1)

    struct StickerItemKey: Hashable, Sendable {
        var id: String
        var format: ResolveFormat
        var text: FallbackText
    }

    static let maximumItems = 100
    static let maximumBodyBytes = 256 * 1024
    static let resolveFields: Set<String> = ["items", "format", "locale"]
    static let sendFields: Set<String> = [
        "sendID", "recvID", "groupID", "sessionType", "senderPlatformID", "senderNickname", "senderFaceURL", "item", "format", "locale", "ex",
    ]

    /// Resolve is answered by the byte lane too: stickers and GIFs from the snapshot, the answer's fields rendered
    /// once per version. The lane declines (nil) a missing or foreign token, a body that is not JSON or that the
    /// router refuses, and batches naming media, which need PostgreSQL.
    func routes(authenticator: BearerAuthenticator) -> [Route] {
        let admits: @Sendable (RawRequest) -> Bool = { request in
            guard let authorization = request.fields.authorization else { return false }
            return authenticator.admits(fieldLine: request.slice(authorization))
        }
        let lane = Route.Lane(maximumBodyBytes: Self.maximumBodyBytes, admits: admits) { request, _ in
            guard let contentType = request.fields.contentType, JSONRequest.isJSON(fieldLine: request.slice(contentType)),
                  let batch = try? Self.batch(request.slice(request.body)), let snapshot = resolver.snapshots.current,
                  let items = itemsFromMemory(batch, snapshot: snapshot)
            else { return nil }
            let head = answerHeads.value(for: 0, in: snapshot) { (ResponseWriter.statusAndFields(Self.answer([], snapshot: snapshot)), true) }
            return RawAnswer(status: .ok, head: head, body: .bytes(Self.answerBody(items, snapshot: snapshot)))
        }
        return [
            Route(.post, "/v1/resolve", .gateway, lane: lane) { request, _ in try await self.resolve(request) },
            Route(.post, "/v1/openim/send-msg", .gateway) { request, _ in try await self.sendMsg(request) },
        ]
    }

    /// Parses the body as a JSON object, refusing members outside `allowed`.
    static func object(_ request: Request, allowed: Set<String>) async throws -> JSONValue {
        try object(try await JSONRequest.body(request, limit: maximumBodyBytes), allowed: allowed)
    }

    static func object(_ bytes: some Collection<UInt8>, allowed: Set<String>) throws -> JSONValue {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw Problem.badRequest("The body is not valid JSON: \(error)", errors: [FieldIssue(field: "body", message: "is not valid JSON")])
        }
        guard case .object(let members) = json else {
            throw Problem.badRequest("The body must be a JSON object.", errors: [FieldIssue(field: "body", message: "must be an object")])
        }
        let unknown = members.filter { !allowed.contains($0.key) }.map { FieldIssue(field: $0.key, message: "is not a known field") }
        if !unknown.isEmpty { throw Problem.validation(unknown) }
        return json
    }

    static func format(_ json: JSONValue) throws -> ResolveFormat {
        switch json["format"] {
        case nil, .null?: return .custom
        case .string(let name)? where ResolveFormat(rawValue: name) != nil: return ResolveFormat(rawValue: name)!
        default:
            throw Problem.validation([FieldIssue(field: "format", message: "must be one of \(ResolveFormat.allCases.map(\.rawValue).joined(separator: ", "))")])
        }
    }

    static func text(_ json: JSONValue) throws -> FallbackText {
        switch json["locale"] {
        case nil, .null?: return .english
        case .string(let locale)? where locale.utf8.count <= 35: return FallbackText.forLocale(locale)
        default: throw Problem.validation([FieldIssue(field: "locale", message: "must be a locale tag such as en or zh-Hans")])
        }
    }

    /// A parsed resolve request.
    struct ResolveBatch {
        var references: [Result<ItemReference, Problem>]
        var paths: [String]
        var format: ResolveFormat
        var text: FallbackText
    }

    static func batch(_ bytes: some Collection<UInt8>) throws -> ResolveBatch {
        let json = try object(bytes, allowed: resolveFields)
        let format = try format(json)
        let text = try text(json)
        guard case .array(let items)? = json["items"] else {
            throw Problem.validation([FieldIssue(field: "items", message: "is required: an array of 1 to \(maximumItems) items")])
        }
        guard (1...maximumItems).contains(items.count) else {
            throw Problem.validation([FieldIssue(field: "items", message: "must hold 1 to \(maximumItems) items, not \(items.count)")])
        }
        let paths = items.indices.map { "items[\($0)]" }
        return ResolveBatch(references: zip(items, paths).map { ItemReference.parse($0, path: $1) }, paths: paths, format: format, text: text)
    }

    func resolve(_ request: Request) async throws -> Response {
        let batch = try Self.batch(try await JSONRequest.body(request, limit: Self.maximumBodyBytes))
        let snapshot = try resolver.snapshot()
        let results = try await resolver.resolve(batch.references, paths: batch.paths, format: batch.format, text: batch.text, snapshot: snapshot)
        return Self.answer(results.map(Self.itemJSON), snapshot: snapshot).response
    }

    /// Each item's JSON without PostgreSQL (nil when the batch names media); stickers from the memo.
    func itemsFromMemory(_ batch: ResolveBatch, snapshot: CatalogSnapshot) -> [[UInt8]]? {
        var items: [[UInt8]] = []
        items.reserveCapacity(batch.references.count)
        for (reference, path) in zip(batch.references, batch.paths) {
            let resolve = { resolver.resolveFromMemory([reference], paths: [path], format: batch.format, text: batch.text, snapshot: snapshot)?.first }
            guard case .success(.sticker(let id)) = reference else {
                guard let result = resolve() else { return nil }
                items.append(Self.itemJSON(result))
                continue
            }
            items.append(stickerItems.value(for: StickerItemKey(id: id, format: batch.format, text: batch.text), in: snapshot) {
                // Failures name the item's place in the batch: worked out each time.
                let result = resolve()!
                if case .success = result { return (Self.itemJSON(result), true) }
                return (Self.itemJSON(result), false)
            })
        }
        return items
    }

    /// One item of the answer: `{"content": …, "contentType": …}` or `{"error": problem}`.
    static func itemJSON(_ result: Result<MessageContent, Problem>) -> [UInt8] {
        var writer = JSONWriter(capacity: 1024)
        writer.object { item in
            switch result {
            case .success(let content):
                item.member("content") { content.write(to: &$0) }
                item.member("contentType", content.contentType.rawValue)
            case .failure(let problem):
                item.member("error") { problem.write(to: &$0) }
            }
        }
        return writer.bytes
    }

    static func answer(_ items: [[UInt8]], snapshot: CatalogSnapshot) -> PlainResponse {
        var headers = HTTPFields()
        headers[.catalogVersion] = String(snapshot.version)
        return PlainResponse.json(answerBody(items, snapshot: snapshot), headers: headers)
    }

    static func answerBody(_ items: [[UInt8]], snapshot: CatalogSnapshot) -> [UInt8] {
        var writer = JSONWriter(capacity: 64 + items.reduce(0) { $0 + $1.count + 1 })
        writer.object { object in
            object.member("catalogVersion", snapshot.version)
            object.member("items") { list in list.array(items) { array, item in array.raw(item) } }
        }
        return writer.bytes
    }

    /// Builds a complete `/msg/send_msg` body for one item.
    func sendMsg(_ request: Request) async throws -> Response {
        let json = try await Self.object(request, allowed: Self.sendFields)
        let format = try Self.format(json)
        let text = try Self.text(json)
        var issues: [FieldIssue] = []
        func string(_ key: String, required: Bool, maxBytes: Int = 64) -> String? {
            switch json[key] {
            case .string(let value)? where (1...maxBytes).contains(value.utf8.count) && !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }): return value
            case nil, .null?: if required { issues.append(FieldIssue(field: key, message: "is required")) }
            default: issues.append(FieldIssue(field: key, message: "must be a string of 1 to \(maxBytes) bytes without control characters"))
            }
            return nil
        }
        let sendID = string("sendID", required: true)
        let recvID = string("recvID", required: false)
        let groupID = string("groupID", required: false)
        let nickname = string("senderNickname", required: false, maxBytes: 255)
        let faceURL = string("senderFaceURL", required: false, maxBytes: 2048)
        let ex = string("ex", required: false, maxBytes: 4096)
        var sessionType: SessionType?
        switch json["sessionType"] {
        case .integer(let code)?:
            if let type = SessionType(rawValue: Int32(clamping: code)), type != .writeGroup { sessionType = type } else {
                issues.append(FieldIssue(field: "sessionType", message: "must be 1 (single), 3 (group) or 4 (notification)"))
            }
        default: issues.append(FieldIssue(field: "sessionType", message: "is required: 1 (single), 3 (group) or 4 (notification)"))
        }
        var platform: Int32 = 0
        switch json["senderPlatformID"] {
        case .integer(let code)? where (1...10).contains(code): platform = Int32(code)
        default: issues.append(FieldIssue(field: "senderPlatformID", message: "is required: OpenIM's platform id, 1 to 10"))
        }
        if let sessionType {
            if sessionType == .group {
                if groupID == nil { issues.append(FieldIssue(field: "groupID", message: "is required for a group session")) }
                if json["recvID"] != nil { issues.append(FieldIssue(field: "recvID", message: "must be left out for a group session")) }
            } else {
                if recvID == nil { issues.append(FieldIssue(field: "recvID", message: "is required for a single or notification session")) }
                if json["groupID"] != nil { issues.append(FieldIssue(field: "groupID", message: "must be left out for a single or notification session")) }
            }
        }
        if format == .face {
            issues.append(FieldIssue(field: "format", message: "face (115) cannot be sent through OpenIM's /msg/send_msg, which rejects content type 115; use custom or picture"))
        }
        guard let item = json["item"] else { throw Problem.validation(issues + [FieldIssue(field: "item", message: "is required")]) }
        if !issues.isEmpty { throw Problem.validation(issues) }

        let snapshot = try resolver.snapshot()
        let reference = ItemReference.parse(item, path: "item")
        let content: MessageContent
        switch try await resolver.resolve([reference], paths: ["item"], format: format, text: text, snapshot: snapshot)[0] {
        case .success(let resolved): content = resolved
        case .failure(let problem): throw problem
        }
        let body: SendMsgRequest
        do {
            body = try SendMsgRequest(
                sendID: sendID!, conversationID: (sessionType == .group ? groupID : recvID)!, sessionType: sessionType!, senderPlatformID: platform,
                content: content, senderNickname: nickname, senderFaceURL: faceURL, text: text, ex: ex ?? ""
            )
        } catch {
            throw Problem(.unprocessableContent, type: Problem.kind("not-sendable"), title: "OpenIM would refuse this message", detail: "\(error)")
        }
        var headers = HTTPFields()
        headers[.catalogVersion] = String(snapshot.version)
        return JSONRequest.response(body.jsonBytes, headers: headers)
    }
}
