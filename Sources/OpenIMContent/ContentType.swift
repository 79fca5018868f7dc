/// OpenIM's message content types (`protocol/constant/constant.go`).
public enum ContentType: Int32, Sendable, Codable, CaseIterable {
    case text = 101
    case picture = 102
    case sound = 103
    case video = 104
    case file = 105
    case atText = 106
    case merger = 107
    case card = 108
    case location = 109
    case custom = 110
    case revoke = 111
    case typing = 113
    case quote = 114
    case face = 115
    case groupHasReadReceipt = 116
    case advancedText = 117
    case markdownText = 118
    case customNotTriggerConversation = 119
    case customOnlineOnly = 120
    case oaNotification = 1400

    /// Whether OpenIM's `/msg/send_msg` accepts this type (`internal/api/msg.go` `getSendMsgReq`: v3.8.3 accepts
    /// 101–106, 110 and 1400; main adds 114 quote and 118 markdown). Face (115) is never accepted.
    public var isAcceptedBySendMsg: Bool {
        switch self {
        case .text, .picture, .sound, .video, .file, .atText, .custom, .quote, .markdownText, .oaNotification: return true
        default: return false
        }
    }
}

/// OpenIM's session types. 2 ("write group") exists in the constants but is not enabled by the server.
public enum SessionType: Int32, Sendable, Codable, CaseIterable {
    case single = 1
    case writeGroup = 2
    case group = 3
    case notification = 4

    /// Whether the conversation is addressed by `groupID` (otherwise by `recvID`).
    public var addressesGroup: Bool { self == .group || self == .writeGroup }
}

/// Where a message came from: OpenIM sets 100 for SDK (user) sends and 200 for REST (system) sends.
public enum MessageFrom: Int32, Sendable, Codable {
    case user = 100
    case system = 200
}
