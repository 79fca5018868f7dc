/// The common body of OpenIM's message webhooks (`pkg/callbackstruct` `CallbackBeforeSendSingleMsgReq` and kin).
public struct CallbackRequest: Sendable, Equatable {
    public var callbackCommand: String
    public var sendID: String
    public var recvID: String
    public var groupID: String
    public var serverMsgID: String
    public var clientMsgID: String
    public var operationID: String
    public var senderPlatformID: Int32
    public var senderNickname: String
    public var sessionType: Int32
    public var msgFrom: Int32
    public var contentType: Int32
    public var status: Int32
    public var sendTime: Int64
    public var createTime: Int64
    /// The stored content JSON, as a string.
    public var content: String
    public var ex: String

    /// Largest webhook body accepted.
    public static let maximumBodyBytes = 64 * 1024

    /// Reads a webhook body; fields OpenIM omits (or sends as null) read as empty or zero, mistyped ones throw,
    /// others are ignored.
    ///
    /// One pass over the members, each name told apart by its length first (the parser has already refused
    /// duplicates): looking each of seventeen names up among twenty members was a quarter of a webhook's CPU.
    public init(json: JSONValue) throws(OpenIMContentError) {
        guard case .object(let members) = json else { throw .wrongType(field: "document", expected: "an object") }
        (callbackCommand, sendID, recvID, groupID, serverMsgID, clientMsgID, operationID) = ("", "", "", "", "", "", "")
        (senderPlatformID, senderNickname, sessionType, msgFrom, contentType, status) = (0, "", 0, 0, 0, 0)
        (sendTime, createTime, content, ex) = (0, 0, "", "")
        let int32Range = Int64(Int32.min)...Int64(Int32.max)
        func string(_ value: JSONValue, _ key: String) throws(OpenIMContentError) -> String { try FieldReader.string(value, field: key) }
        func int32(_ value: JSONValue, _ key: String) throws(OpenIMContentError) -> Int32 { Int32(try FieldReader.integer(value, field: key, in: int32Range)) }
        for (key, value) in members {
            if case .null = value { continue }
            switch (key.utf8.count, key) {
            case (15, "callbackCommand"): callbackCommand = try string(value, key)
            case (6, "sendID"): sendID = try string(value, key)
            case (6, "recvID"): recvID = try string(value, key)
            case (7, "groupID"): groupID = try string(value, key)
            case (11, "serverMsgID"): serverMsgID = try string(value, key)
            case (11, "clientMsgID"): clientMsgID = try string(value, key)
            case (11, "operationID"): operationID = try string(value, key)
            case (16, "senderPlatformID"): senderPlatformID = try int32(value, key)
            case (14, "senderNickname"): senderNickname = try string(value, key)
            case (11, "sessionType"): sessionType = try int32(value, key)
            case (7, "msgFrom"): msgFrom = try int32(value, key)
            case (11, "contentType"): contentType = try int32(value, key)
            case (6, "status"): status = try int32(value, key)
            case (8, "sendTime"): sendTime = try FieldReader.integer(value, field: key)
            case (10, "createTime"): createTime = try FieldReader.integer(value, field: key)
            case (7, "content"): content = try string(value, key)
            case (2, "ex"): ex = try string(value, key)
            default: continue
            }
        }
    }

    /// Reads a webhook body from bytes.
    public init(bytes: some Collection<UInt8>) throws(OpenIMContentError) {
        guard bytes.count <= Self.maximumBodyBytes else {
            throw .tooLarge(field: "body", size: bytes.count, limit: Self.maximumBodyBytes)
        }
        try self.init(json: JSONParser.parse(bytes))
    }
}

/// OpenIM's webhook reply (`CommonCallbackResp`). OpenIM blocks the operation only when `actionCode == 0` and
/// `nextCode == 1`; every field must be a JSON number or the reply is a 90007 error and the message fails.
public struct CallbackResponse: Sendable, Equatable {
    public var actionCode: Int32
    public var errCode: Int32
    public var errMsg: String
    public var errDlt: String
    public var nextCode: Int32
    /// For `callbackBeforeMsgModifyCommand`: replacement content (a JSON object as a string), or nil to keep it.
    public var content: String?

    /// Let the message through.
    public static let allow = CallbackResponse(actionCode: 0, errCode: 0, errMsg: "", errDlt: "", nextCode: 0, content: nil)

    /// Block the message. OpenIM's docs reserve error codes 5000–9999 for webhooks.
    public static func reject(code: Int32, message: String, detail: String) -> CallbackResponse {
        precondition((5000...9999).contains(code), "webhook error codes must be in 5000...9999")
        return CallbackResponse(actionCode: 0, errCode: code, errMsg: message, errDlt: detail, nextCode: 1, content: nil)
    }

    /// Allow the message with its content replaced.
    public static func modify(content: String) -> CallbackResponse {
        CallbackResponse(actionCode: 0, errCode: 0, errMsg: "", errDlt: "", nextCode: 0, content: content)
    }

    public init(actionCode: Int32, errCode: Int32, errMsg: String, errDlt: String, nextCode: Int32, content: String?) {
        self.actionCode = actionCode
        self.errCode = errCode
        self.errMsg = errMsg
        self.errDlt = errDlt
        self.nextCode = nextCode
        self.content = content
    }

    /// Whether OpenIM will block the operation on this reply.
    public var blocks: Bool { actionCode == 0 && nextCode == 1 }

    /// The reply as JSON bytes with numeric codes and sorted keys.
    public var jsonBytes: [UInt8] {
        self == .allow ? Self.allowBytes : written
    }

    /// The reply nearly every callback gets, written once.
    private static let allowBytes = CallbackResponse.allow.written

    private var written: [UInt8] {
        var writer = JSONWriter(capacity: 128)
        writer.object { object in
            object.member("actionCode", actionCode)
            object.member("content", content)
            object.member("errCode", errCode)
            object.member("errDlt", errDlt)
            object.member("errMsg", errMsg)
            object.member("nextCode", nextCode)
        }
        return writer.bytes
    }
}
