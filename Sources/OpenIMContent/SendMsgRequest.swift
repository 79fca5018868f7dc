/// The body of OpenIM's `POST /msg/send_msg` (`apistruct.SendMsgReq`), built so the gateway forwards it untouched.
public struct SendMsgRequest: Sendable, Equatable {
    public var sendID: String
    /// Set for single and notification sessions.
    public var recvID: String?
    /// Set for group sessions.
    public var groupID: String?
    public var senderNickname: String?
    /// Spelled `senderFaceURL` in the request (clients receive `senderFaceUrl`).
    public var senderFaceURL: String?
    public var senderPlatformID: Int32
    public var content: MessageContent
    public var sessionType: SessionType
    public var isOnlineOnly: Bool
    public var notOfflinePush: Bool
    public var offlinePushInfo: OfflinePushInfo?
    public var ex: String

    /// Builds a body, choosing `recvID` or `groupID` by session type, refusing content `/msg/send_msg` rejects and
    /// filling `offlinePushInfo` so pushes read "Alice: [Sticker] 👋" rather than "[NEWMSG]".
    public init(
        sendID: String, conversationID: String, sessionType: SessionType, senderPlatformID: Int32,
        content: MessageContent, senderNickname: String? = nil, senderFaceURL: String? = nil,
        pushDescription: String? = nil, text: FallbackText = .english, ex: String = ""
    ) throws(OpenIMContentError) {
        self.init(
            sendID: sendID, recvID: sessionType.addressesGroup ? nil : conversationID, groupID: sessionType.addressesGroup ? conversationID : nil,
            senderPlatformID: senderPlatformID, content: content, sessionType: sessionType
        )
        self.senderNickname = senderNickname
        self.senderFaceURL = senderFaceURL
        let title = (senderNickname?.isEmpty == false ? senderNickname : nil) ?? text.newMessage
        let description: String
        switch content {
        case .custom(let elem): description = pushDescription ?? elem.description
        case .picture: description = pushDescription ?? text.photo
        case .video: description = pushDescription ?? text.video
        case .sound: description = pushDescription ?? text.voice
        case .file: description = pushDescription ?? text.file
        case .text(let elem): description = pushDescription ?? elem.content
        case .face: description = pushDescription ?? text.sticker
        }
        self.offlinePushInfo = OfflinePushInfo(title: title, desc: description)
        self.ex = ex
        try validate()
    }

    /// A body as received, checked only by `validate()`.
    init(sendID: String, recvID: String?, groupID: String?, senderPlatformID: Int32, content: MessageContent, sessionType: SessionType) {
        self.sendID = sendID
        self.recvID = recvID
        self.groupID = groupID
        self.senderPlatformID = senderPlatformID
        self.content = content
        self.sessionType = sessionType
        self.isOnlineOnly = false
        self.notOfflinePush = false
        self.ex = ""
    }

    /// Checks the rules OpenIM applies (`internal/api/msg.go`, `custom_validator.go`, `pkg/apistruct/msg.go`).
    public func validate() throws(OpenIMContentError) {
        if sendID.isEmpty { throw .missingField("sendID") }
        if senderPlatformID < 0 { throw .invalidValue(field: "senderPlatformID", reason: "must not be negative") }
        switch sessionType {
        case .single, .notification:
            if (recvID ?? "").isEmpty { throw .missingField("recvID") }
        case .group:
            if (groupID ?? "").isEmpty { throw .missingField("groupID") }
        case .writeGroup:
            throw .invalidValue(field: "sessionType", reason: "2 (write group) is not enabled by OpenIM; use 3")
        }
        guard content.contentType.isAcceptedBySendMsg else { throw .notSendableViaREST(contentType: content.contentType.rawValue) }
        try content.validateForSend()
    }

    /// Writes the body as compact JSON with sorted keys; `content` is an object, as `/msg/send_msg` requires.
    public func write(to writer: inout JSONWriter) {
        writer.object { object in
            object.member("content") { content.write(to: &$0) }
            object.member("contentType", content.contentType.rawValue)
            object.member("ex", ex)
            object.member("groupID", groupID)
            object.member("isOnlineOnly", isOnlineOnly)
            object.member("notOfflinePush", notOfflinePush)
            if let offlinePushInfo { object.member("offlinePushInfo") { offlinePushInfo.write(to: &$0) } }
            object.member("recvID", recvID)
            object.member("sendID", sendID)
            object.member("senderFaceURL", senderFaceURL)
            object.member("senderNickname", senderNickname)
            object.member("senderPlatformID", senderPlatformID)
            object.member("sessionType", sessionType.rawValue)
        }
    }

    /// The body as JSON bytes.
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter(capacity: 768)
        write(to: &writer)
        return writer.bytes
    }

    /// Validates a body given as JSON (for example one a gateway built itself) against OpenIM's rules.
    public static func validate(json: JSONValue) throws(OpenIMContentError) {
        let reader = try FieldReader(json, path: "")
        let sendID = try reader.string("sendID")
        if sendID.isEmpty { throw .missingField("sendID") }
        let contentTypeCode = try reader.integer("contentType", in: Int64(Int32.min)...Int64(Int32.max))
        if contentTypeCode == 0 { throw .missingField("contentType") }
        let sessionCode = try reader.integer("sessionType", in: Int64(Int32.min)...Int64(Int32.max))
        guard let sessionType = SessionType(rawValue: Int32(sessionCode)) else {
            throw .invalidValue(field: "sessionType", reason: "unknown session type \(sessionCode)")
        }
        guard let contentValue = reader.value("content") else { throw .missingField("content") }
        guard case .object = contentValue else { throw .wrongType(field: "content", expected: "an object") }
        guard let contentType = ContentType(rawValue: Int32(contentTypeCode)), contentType.isAcceptedBySendMsg else {
            throw .notSendableViaREST(contentType: Int32(contentTypeCode))
        }
        let content = try MessageContent(contentType: contentType.rawValue, json: contentValue)
        let request = SendMsgRequest(
            sendID: sendID, recvID: try reader.optionalString("recvID"), groupID: try reader.optionalString("groupID"),
            senderPlatformID: Int32(try reader.optionalInteger("senderPlatformID", in: 0...Int64(Int32.max)) ?? 0),
            content: content, sessionType: sessionType
        )
        try request.validate()
    }
}
