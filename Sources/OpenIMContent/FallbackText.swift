/// The text OpenIM shows where a client cannot render our payload: `CustomElem.description` and push text.
///
/// OpenIM pushes "[NEWMSG]" for custom messages without a push title, so every encoder fills these in.
public struct FallbackText: Sendable, Hashable {
    public var sticker: String
    public var gif: String
    public var photo: String
    public var video: String
    public var voice: String
    public var file: String
    /// Push title when the sender's nickname is unknown.
    public var newMessage: String

    public init(sticker: String, gif: String, photo: String, video: String, voice: String, file: String, newMessage: String) {
        self.sticker = sticker
        self.gif = gif
        self.photo = photo
        self.video = video
        self.voice = voice
        self.file = file
        self.newMessage = newMessage
    }

    /// English labels.
    public static let english = FallbackText(
        sticker: "[Sticker]", gif: "[GIF]", photo: "[Photo]", video: "[Video]", voice: "[Voice]", file: "[File]",
        newMessage: "New message"
    )
    /// Simplified Chinese labels.
    public static let simplifiedChinese = FallbackText(
        sticker: "[贴纸]", gif: "[动图]", photo: "[图片]", video: "[视频]", voice: "[语音]", file: "[文件]",
        newMessage: "新消息"
    )

    /// Labels for a BCP 47 locale; English when the locale has none. Matches `zh`, `zh-Hans`, `zh-CN`.
    public static func forLocale(_ locale: String?) -> FallbackText {
        guard let locale = locale?.lowercased() else { return .english }
        if locale == "zh" || locale.hasPrefix("zh-hans") || locale == "zh-cn" || locale == "zh-sg" { return .simplifiedChinese }
        return .english
    }

    /// The fallback line for `payload`, e.g. `[Sticker] 👋`.
    public func describe(_ payload: CatalogPayload) -> String {
        switch payload {
        case .sticker(let sticker):
            guard let emoji = sticker.emoji, !emoji.isEmpty else { return self.sticker }
            return "\(self.sticker) \(emoji)"
        case .gif: return gif
        case .media(let media):
            switch media.kind {
            case .image: return photo
            case .video: return video
            case .audio: return voice
            case .file: return media.fileName.map { "\(file) \($0)" } ?? file
            }
        }
    }
}
