/// Every limit the catalog enforces, in one place. README lists them; tests check each at its edge.
public enum CatalogLimits {
    /// Largest sticker side. Telegram and WhatsApp both draw stickers on a 512 px canvas.
    public static let maximumStickerSide = 512
    /// Smallest sticker side: below this a sticker is unreadable in a chat bubble.
    public static let minimumStickerSide = 64
    /// Bytes per static sticker. Between WhatsApp's 100 KB (too small for 512 px PNG) and Telegram's 512 KB.
    public static let maximumStaticStickerBytes = 256 * 1024
    /// Bytes per animated sticker: Telegram's 512 KB, near WhatsApp's 500 KB.
    public static let maximumAnimatedStickerBytes = 512 * 1024
    /// Frames in one animation. WhatsApp's rules (≥ 8 ms a frame, ≤ 10 s) allow 1,250; 500 covers 10 s at 50 fps.
    public static let maximumFrames = 500
    /// Telegram's animated stickers (TGS): gzip bytes, the JSON they may inflate to, and its nesting.
    public static let maximumTGSBytes = 64 * 1024
    public static let maximumTGSInflatedBytes = 2 * 1024 * 1024
    public static let maximumTGSDepth = 64
    /// Telegram's video stickers (WebM, VP9): bytes and frame rate.
    public static let maximumWebMBytes = 256 * 1024
    public static let maximumVideoFrameRate = 30
    /// Playing time of a TGS or WebM sticker (Telegram: 3 s).
    public static let maximumTGSAndWebMMilliseconds = 3000
    /// Tray icon sides: WhatsApp's validator accepts 24–512 px; Telegram's thumbnails are 100 px.
    public static let minimumTraySide = 24
    public static let maximumTraySide = 512
    /// Tray icon bytes: WhatsApp's 50 KB.
    public static let maximumTrayBytes = 50 * 1024
    /// Stickers per pack: Telegram's 120.
    public static let stickersPerPack = 1...120
    /// Emojis per sticker (Telegram allows 20, WhatsApp 3).
    public static let emojisPerSticker = 1...8
    /// Keywords per sticker and characters per keyword (Telegram: 20 keywords, 64 characters).
    public static let maximumKeywords = 20
    public static let maximumKeywordLength = 64
    /// Title characters per locale (Telegram: 1–64).
    public static let maximumTitleLength = 64
    /// Description characters per locale.
    public static let maximumDescriptionLength = 512
    /// Publisher characters (WhatsApp: 128).
    public static let maximumPublisherLength = 128
    /// Accessibility label characters (WhatsApp: 255 for animated stickers).
    public static let maximumLabelLength = 255
    /// Tags per pack and characters per tag.
    public static let maximumTags = 16
    public static let maximumTagLength = 32
    /// Locales per localized text.
    public static let maximumLocales = 32
    /// Whole upload (multipart or zip body); enforced while streaming.
    public static let maximumUploadBytes = 32 * 1024 * 1024
    /// Manifest JSON bytes.
    public static let maximumManifestBytes = 256 * 1024
    /// Zip entries: 120 stickers, a tray, a manifest and some room for folders.
    public static let maximumZipEntries = 256
    /// Total inflated bytes of a zip: twice the upload limit.
    public static let maximumZipInflatedBytes = 64 * 1024 * 1024
    /// Largest inflate ratio of one zip entry; images are already compressed, so a higher ratio means a zip bomb.
    public static let maximumZipCompressionRatio = 100
    /// Pack ids and sticker ids: `[a-z0-9][a-z0-9_-]{1,63}`.
    public static let identifierLength = 2...64
}

extension CatalogLimits {
    /// Versions kept in the change log; `changes?since=` older than this answers 410 and clients refetch.
    public static let changeLogRetention: Int64 = 10_000
    /// Largest page of an admin list.
    public static let maximumPageSize = 200
}
