import OpenIMContent

/// What a sent message uses from the catalog, for usage counts.
public enum CatalogUsage: Sendable, Hashable {
    case sticker(String)
    case gif(provider: String)
}

/// The answer to OpenIM's before-send callbacks for one message.
public enum MessageVerdict: Sendable, Equatable {
    /// Let it through; `usage` says which catalog item it sends, if any.
    case allow(usage: CatalogUsage?)
    /// Block it with OpenIM's reject form (`errCode` in 5000–9999).
    case reject(code: Int32, message: String, detail: String)

    public var response: CallbackResponse {
        switch self {
        case .allow: return .allow
        case .reject(let code, let message, let detail): return .reject(code: code, message: message, detail: detail)
        }
    }
}

/// Decides whether a message may carry what it carries, from the in-memory snapshot only (no database), so the
/// before-send webhook answers in microseconds and keeps answering while PostgreSQL is away.
public enum MessagePolicy {
    /// Reject codes, in OpenIM's webhook range.
    public enum Code {
        public static let unknownSticker: Int32 = 5101
        public static let stickerNotPublished: Int32 = 5102
        public static let gifNotAllowed: Int32 = 5103
        public static let malformedPayload: Int32 = 5104
        public static let assetNotASticker: Int32 = 5105
        public static let mediaURLNotAllowed: Int32 = 5106
        public static let stickerURLNotOurs: Int32 = 5107
    }

    /// Judges a message from its webhook `contentType` and `content` string.
    ///
    /// Our custom payloads (110) and face/picture messages pointing at our assets are checked; everything else —
    /// other types, other people's custom payloads, face messages with other URLs — is allowed untouched.
    public static func evaluate(contentType: Int32, content: String, snapshot: CatalogSnapshot, storageOrigin: String?) -> MessageVerdict {
        let received: ReceivedContent
        switch Result(catching: { () throws(OpenIMContentError) -> ReceivedContent in try MessageDecoder.webhookContent(contentType: contentType, content: content) }) {
        case .success(let value): received = value
        case .failure(let error):
            // Only a custom message that claims to be ours can be "malformed"; a face or picture we cannot read is
            // someone else's.
            guard contentType == ContentType.custom.rawValue else { return .allow(usage: nil) }
            return .reject(code: Code.malformedPayload, message: "malformed catalog payload", detail: error.description)
        }
        switch received {
        case .foreign:
            return .allow(usage: nil)
        case .catalog(.sticker(let sticker)):
            if snapshot.stickers[sticker.stickerId] != nil {
                guard sticker.url.hasPrefix(snapshot.assetURLPrefix) else {
                    return .reject(code: Code.stickerURLNotOurs, message: "sticker URL is not a catalog asset", detail: "sticker \(sticker.stickerId) must use \(snapshot.assetURLPrefix)…")
                }
                return .allow(usage: .sticker(sticker.stickerId))
            }
            return stickerRefusal(sticker.stickerId, snapshot: snapshot)
        case .catalog(.gif(let gif)):
            let issues = GIFItem.check(gif, configuration: snapshot.gifConfiguration)
            guard issues.isEmpty else {
                return .reject(code: Code.gifNotAllowed, message: "GIF not allowed", detail: issues.map { "\($0.field) \($0.message)" }.joined(separator: "; "))
            }
            return .allow(usage: .gif(provider: gif.provider))
        case .catalog(.media(let media)):
            for (field, url) in [("url", Optional(media.url)), ("snapshotUrl", media.snapshotUrl)] {
                guard let url else { continue }
                if !MediaFile.allowsURL(url, storageOrigin: storageOrigin) {
                    return .reject(code: Code.mediaURLNotAllowed, message: "media URL not allowed", detail: "\(field) must be https or in OpenIM's storage")
                }
            }
            return .allow(usage: nil)
        case .face(let image):
            return assetReference(image.url, snapshot: snapshot)
        case .picture(let info):
            return assetReference(info.url, snapshot: snapshot)
        }
    }

    static func stickerRefusal(_ id: String, snapshot: CatalogSnapshot) -> MessageVerdict {
        if let status = snapshot.withdrawnStickers[id] {
            return .reject(code: Code.stickerNotPublished, message: "sticker not available", detail: "sticker \(id) is in a\(status == .archived ? "n archived" : " draft") pack")
        }
        return .reject(code: Code.unknownSticker, message: "unknown sticker", detail: "sticker \(id.prefix(64)) is not in the catalog")
    }

    /// A face or picture: checked only when its URL is one of our assets.
    static func assetReference(_ url: String, snapshot: CatalogSnapshot) -> MessageVerdict {
        guard url.hasPrefix(snapshot.assetURLPrefix) else { return .allow(usage: nil) }
        if let id = snapshot.stickerIdsByAssetURL[url] { return .allow(usage: .sticker(id)) }
        if snapshot.withdrawnAssetURLs.contains(url) {
            return .reject(code: Code.stickerNotPublished, message: "sticker not available", detail: "the image belongs to a draft or archived pack")
        }
        return .reject(code: Code.assetNotASticker, message: "not a published sticker", detail: "the image is not a sticker of the published catalog")
    }

    /// For `callbackBeforeMsgModifyCommand`: the content with a stale sticker payload replaced by the current one
    /// (same sticker, its current URL, type and size), or nil to leave the message as it is.
    public static func refreshed(contentType: Int32, content: String, snapshot: CatalogSnapshot) -> String? {
        guard contentType == ContentType.custom.rawValue,
              case .success(.catalog(.sticker(let sent))) = Result(catching: { () throws(OpenIMContentError) -> ReceivedContent in
                  try MessageDecoder.webhookContent(contentType: contentType, content: content)
              }),
              let current = snapshot.stickers[sent.stickerId]?.payload, current != sent,
              case .success(let json) = Result(catching: { () throws(OpenIMContentError) -> JSONValue in try JSONParser.parse(content) }),
              case .success(let elem) = Result(catching: { () throws(OpenIMContentError) -> CustomElem in try CustomElem(reader: FieldReader(json, path: "content")) }),
              case .success(var updated) = Result(catching: { () throws(OpenIMContentError) -> CustomElem in
                  try MessageEncoder.custom(.sticker(current), catalogVersion: snapshot.version)
              })
        else { return nil }
        // Keep the sender's fallback text (it may be localized); the payload and catalog version are current.
        if !elem.description.isEmpty { updated.description = elem.description }
        return String(decoding: MessageContent.custom(updated).jsonBytes, as: UTF8.self)
    }
}
