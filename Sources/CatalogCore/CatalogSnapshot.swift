import Foundation
import NIOCore
import OpenIMContent

/// Everything the catalog holds at one version, as read from the database.
public struct CatalogContent: Sendable, Equatable {
    public var version: Int64
    /// When the version was committed: the catalog's Last-Modified and `generatedAt`, identical on every replica.
    public var changedAt: Date
    /// All packs, every status, in display order.
    public var packs: [StoredPack]
    public var gif: StoredGIFConfiguration
    /// The published "popular" list: sticker ids, most sent first (see `catalog_popular`).
    public var popular: [String]

    public init(version: Int64, changedAt: Date, packs: [StoredPack], gif: StoredGIFConfiguration = .initial, popular: [String] = []) {
        self.version = version
        self.changedAt = changedAt
        self.packs = packs
        self.gif = gif
        self.popular = popular
    }
}

/// One response body prepared in both encodings, with strong ETags computed from the identity bytes (or, for an answer
/// prepared per request, from what determines them).
public struct PreparedRepresentation: Sendable {
    public let identity: ByteBuffer
    public let gzip: ByteBuffer
    /// Strong ETag of the identity bytes.
    public let eTag: String
    /// Strong ETag of the gzip bytes: a different representation needs a different strong tag (RFC 9110 §8.8.3).
    public let gzipETag: String

    /// Prepares `bytes`, compressing them once: `.wholeVersion` for what is served all version long, `.perRequest`
    /// for answers prepared per request (search pages).
    public init(bytes: [UInt8], gzip level: GzipLevel = .wholeVersion) {
        self.init(bytes: bytes, gzip: level, hash: PackAssembler.sha256Hex(bytes))
    }

    /// Prepares an answer whose bytes `determinedBy` fully determines, on every replica: a search page is a function
    /// of the catalog version and the normalised request, so its tag is the hash of those (the "ETag per (version,
    /// normalised query)" clients and CDNs cache by) rather than of 1–60 KB of page, which cost 5 % of a search
    /// answered afresh.
    public init(bytes: [UInt8], gzip level: GzipLevel, determinedBy key: String) {
        self.init(bytes: bytes, gzip: level, hash: PackAssembler.sha256Hex(Array(key.utf8)))
    }

    private init(bytes: [UInt8], gzip level: GzipLevel, hash: String) {
        identity = ByteBuffer(bytes: bytes)
        gzip = Gzip.compress(bytes, level: level)
        let tag = hash.prefix(32)
        eTag = "\"\(tag)\""
        gzipETag = "\"\(tag)-gz\""
    }
}

/// A sticker as the resolver and webhooks see it.
///
/// A class: requests look stickers up by the dozen (a user's library marks each of its 70 stickers available or not),
/// and a lookup then costs one reference, not a copy of every string of the payload.
public final class ResolvedSticker: Sendable {
    public let packId: String
    public let payload: StickerPayload
    /// The sticker as an item of a user's library list, `{"available":true,"id":…,"packId":…}`, written once per
    /// snapshot: a library GET copies it for each of its favorites and recents (70 of them by default) instead of
    /// writing each again.
    public let libraryItem: [UInt8]

    public init(packId: String, payload: StickerPayload) {
        self.packId = packId
        self.payload = payload
        var writer = JSONWriter(capacity: 48 + payload.stickerId.utf8.count + packId.utf8.count)
        writer.object { item in
            item.member("available", true)
            item.member("id", payload.stickerId)
            item.member("packId", packId)
        }
        libraryItem = writer.bytes
    }
}

/// An immutable, fully prepared catalog at one version. Built once per version and swapped in atomically;
/// requests only read it.
public final class CatalogSnapshot: Sendable {
    public let version: Int64
    public let changedAt: Date
    /// `Last-Modified` value (IMF-fixdate).
    public let lastModified: String
    /// The whole published catalog.
    public let catalog: PreparedRepresentation
    /// Each published pack on its own.
    public let packs: [String: PreparedRepresentation]
    /// The published packs' ids in display order.
    public let publishedPackIds: [String]
    /// Published stickers by id.
    public let stickers: [String: ResolvedSticker]
    /// Stickers of draft and archived packs by id, with the pack's status: resolvable as "gone", not "unknown".
    public let withdrawnStickers: [String: PackStatus]
    /// Published stickers by their asset URL (a face message carries only the URL).
    public let stickerIdsByAssetURL: [String: String]
    /// Asset URLs used only by draft or archived packs.
    public let withdrawnAssetURLs: Set<String>
    /// Where this snapshot's asset URLs start: `{publicBaseURL}/v1/assets/`.
    public let assetURLPrefix: String
    /// The GIF configuration in force at this version, and its public document.
    public let gifConfiguration: GIFConfiguration
    public let gifDocument: PreparedRepresentation
    /// Search over the published stickers and packs, and emoji suggestions.
    public let search: SearchIndex
    /// The emoji → sticker ids map clients suggest from offline (`SearchIndex.emojiIndexJSON`).
    public let emojiIndex: PreparedRepresentation
    /// How long the search index took to build (on a thread of its own), and how much of that the snapshot's build
    /// waited for after finishing everything else: what search added to it.
    public let searchBuildTime: (build: Duration, added: Duration)

    /// Builds the snapshot of `content`; asset URLs start with `publicBaseURL`.
    public init(content: CatalogContent, publicBaseURL: String) {
        version = content.version
        changedAt = content.changedAt
        let seconds = Date(timeIntervalSince1970: content.changedAt.timeIntervalSince1970.rounded(.down))
        lastModified = HTTPDate.format(seconds)
        let published = content.packs.filter { $0.status == .published }
        var packBodies: [String: PreparedRepresentation] = [:]
        var stickers: [String: ResolvedSticker] = [:]
        var withdrawn: [String: PackStatus] = [:]
        var byAssetURL: [String: String] = [:]
        var withdrawnURLs = Set<String>()
        let publishedStickerIds = Set(published.flatMap { $0.stickers.map(\.id) })
        // Each published sticker's JSON once: in its pack, in the catalog and in search results alike.
        var renderedStickers: [String: [UInt8]] = [:]
        for pack in published {
            for sticker in pack.stickers {
                var stickerWriter = JSONWriter(capacity: 384)
                Self.write(sticker: sticker, baseURL: publicBaseURL, storageFacts: false, to: &stickerWriter)
                renderedStickers[sticker.id] = stickerWriter.bytes
            }
        }
        // The search index needs only the published packs and their stickers' JSON: it is built on another thread
        // while this one writes and compresses the catalog and its packs (the gzip at level 9 takes longer).
        let popular = content.popular
        let rendered = renderedStickers
        let searching = ParallelWork {
            let index = SearchIndex(packs: published, popular: popular, baseURL: publicBaseURL, renderedStickers: rendered)
            return (index, PreparedRepresentation(bytes: index.emojiIndexJSON()))
        }
        var writer = JSONWriter(capacity: 1024 + published.count * 4096)
        writer.object { object in
            object.member("generatedAt", ISO8601.format(seconds))
            object.member("gif") { gif in
                gif.object { summary in
                    summary.member("configUrl", "\(publicBaseURL)/v1/gif-config")
                    summary.member("enabled", content.gif.configuration.isActive)
                    summary.member("provider", content.gif.configuration.provider.rawValue)
                    summary.member("revision", content.gif.revision)
                }
            }
            object.member("packs") { packs in
                packs.array(published) { array, pack in
                    var packWriter = JSONWriter(capacity: 4096)
                    Self.write(pack: pack, baseURL: publicBaseURL, renderedStickers: renderedStickers, to: &packWriter)
                    packBodies[pack.id] = PreparedRepresentation(bytes: packWriter.bytes)
                    array.raw(packWriter.bytes)
                }
            }
            object.member("popular", content.popular.filter { publishedStickerIds.contains($0) })
            object.member("version", content.version)
        }
        for pack in content.packs {
            for sticker in pack.stickers {
                let url = Self.assetURL(sticker.asset, baseURL: publicBaseURL)
                if pack.status == .published {
                    if byAssetURL[url] == nil { byAssetURL[url] = sticker.id }
                    stickers[sticker.id] = ResolvedSticker(packId: pack.id, payload: StickerPayload(
                        packId: pack.id, stickerId: sticker.id, url: url,
                        mime: sticker.asset.mime, width: Int64(sticker.asset.width), height: Int64(sticker.asset.height),
                        animated: sticker.asset.animated, emoji: sticker.emojis.first
                    ))
                } else {
                    withdrawn[sticker.id] = pack.status
                    withdrawnURLs.insert(url)
                }
            }
        }
        stickerIdsByAssetURL = byAssetURL
        withdrawnAssetURLs = withdrawnURLs.subtracting(byAssetURL.keys)
        assetURLPrefix = "\(publicBaseURL)/v1/assets/"
        catalog = PreparedRepresentation(bytes: writer.bytes)
        packs = packBodies
        publishedPackIds = published.map(\.id)
        self.stickers = stickers
        withdrawnStickers = withdrawn
        gifConfiguration = content.gif.configuration
        gifDocument = PreparedRepresentation(bytes: content.gif.publicBytes)
        let searchBuild = searching.result()
        (search, emojiIndex) = searchBuild.value
        searchBuildTime = (searchBuild.took, searchBuild.waited)
    }

    /// The public URL of an asset: content-addressed, so it never changes meaning and caches forever.
    public static func assetURL(_ asset: AssetDescriptor, baseURL: String) -> String {
        "\(baseURL)/v1/assets/\(asset.sha256).\(asset.fileExtension)"
    }

    /// The public URL of an asset's thumbnail (a still WebP), when it has one.
    public static func thumbnailURL(_ asset: AssetDescriptor, baseURL: String) -> String? {
        asset.thumbnail.map { "\(baseURL)/v1/assets/\($0.sha256).webp" }
    }

    /// Writes a sticker (keys sorted); `storageFacts` adds what admins see: the hash and byte size.
    public static func write(sticker: StoredSticker, baseURL: String, storageFacts: Bool, to writer: inout JSONWriter) {
        writer.object { item in
            item.member("animated", sticker.asset.animated)
            if storageFacts { item.member("byteSize", sticker.asset.byteSize) }
            item.member("emojis", sticker.emojis)
            // png, apng, webp, gif, tgs (Lottie: clients need a Lottie player) or webm (VP9 video).
            item.member("format", ImageFormat(mime: sticker.asset.mime)?.rawValue ?? sticker.asset.fileExtension)
            item.member("height", sticker.asset.height)
            item.member("id", sticker.id)
            if storageFacts {
                // The admin's document keeps the form the manifest used, so it can be PUT back unchanged.
                if sticker.localizedKeywords.isEmpty {
                    item.member("keywords", sticker.keywords)
                } else {
                    item.member("keywords") { $0.localizedLists(sticker.localizedKeywords) }
                }
            } else {
                // Clients read one flat list (every locale's keywords) and, when given, the lists per locale.
                item.member("keywords", sticker.allKeywords)
            }
            item.member("label", sticker.label)
            if !storageFacts, !sticker.localizedKeywords.isEmpty {
                item.member("localizedKeywords") { $0.localizedLists(sticker.localizedKeywords) }
            }
            item.member("mime", sticker.asset.mime)
            if storageFacts { item.member("sha256", sticker.asset.sha256) }
            if let thumbnail = thumbnailURL(sticker.asset, baseURL: baseURL) { item.member("thumbnailUrl", thumbnail) }
            item.member("url", assetURL(sticker.asset, baseURL: baseURL))
            item.member("width", sticker.asset.width)
        }
    }

    /// Writes a pack as clients see it (keys sorted); without `stickers`, their count replaces them (search results).
    public static func write(
        pack: StoredPack, baseURL: String, stickers withStickers: Bool = true, renderedStickers: [String: [UInt8]] = [:], to writer: inout JSONWriter
    ) {
        writer.object { object in
            object.member("animated", pack.animated)
            object.member("description") { $0.stringObject(pack.description) }
            object.member("id", pack.id)
            object.member("publisher", pack.publisher)
            object.member("revision", pack.revision)
            if withStickers {
                object.member("stickers") { stickers in
                    stickers.array(pack.stickers) { array, sticker in
                        if let rendered = renderedStickers[sticker.id] { array.raw(rendered) } else { write(sticker: sticker, baseURL: baseURL, storageFacts: false, to: &array) }
                    }
                }
            } else {
                object.member("stickerCount", pack.stickers.count)
            }
            object.member("tags", pack.tags)
            object.member("title") { $0.stringObject(pack.title) }
            if let thumbnail = thumbnailURL(pack.tray, baseURL: baseURL) { object.member("trayThumbnailUrl", thumbnail) }
            object.member("trayUrl", assetURL(pack.tray, baseURL: baseURL))
        }
    }
}

extension StoredSticker {
    /// The locale-neutral keywords, then each locale's (locales sorted), each keyword once.
    public var allKeywords: [String] {
        guard !localizedKeywords.isEmpty else { return keywords }
        // At most 20 per list: a linear check beats hashing them.
        var result = keywords
        for locale in localizedKeywords.keys.sorted() {
            for keyword in localizedKeywords[locale] ?? [] where !result.contains(keyword) { result.append(keyword) }
        }
        return result
    }
}

extension JSONWriter {
    /// Writes locale → list of strings, keys sorted bytewise.
    mutating func localizedLists(_ values: [String: [String]]) {
        object { object in
            for key in values.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) { object.member(key, values[key] ?? []) }
        }
    }
}

/// Fixed date formats, independent of locale and time zone.
public enum ISO8601 {
    /// `2026-11-25T13:40:56Z` (whole seconds, UTC).
    public static func format(_ date: Date) -> String {
        let c = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(c.year ?? 1970)-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second))Z"
    }

    /// `2026-11-25`: the UTC day of `date`.
    public static func day(_ date: Date) -> String {
        String(format(date).prefix(10))
    }

    /// Parses `YYYY-MM-DD` as 00:00 UTC that day; nil for anything else, including days a month lacks.
    public static func parseDay(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              year >= 1970, (1...12).contains(month), (1...31).contains(day) else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month
        components.day = day
        guard let date = Calendar.utc.date(from: components), Calendar.utc.component(.day, from: date) == day else { return nil }
        return date
    }

    /// Parses `format`'s output (and fractional seconds or offsets, via Foundation).
    public static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }
}

/// HTTP dates (RFC 9110 §5.6.7).
public enum HTTPDate {
    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate: `Wed, 25 Nov 2026 13:40:56 GMT`.
    public static func format(_ date: Date) -> String {
        let c = Calendar.utc.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) GMT"
    }

    /// Parses an IMF-fixdate (the only form senders may generate); nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].hasSuffix(","), days.contains(String(parts[0].dropLast())), parts[5] == "GMT",
              let day = Int(parts[1]), let month = months.firstIndex(of: String(parts[2])), let year = Int(parts[3]) else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, let hour = Int(time[0]), let minute = Int(time[1]), let second = Int(time[2]) else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month + 1
        components.day = day
        components.hour = hour
        components.minute = minute
        components.second = second
        return Calendar.utc.date(from: components)
    }
}

extension Calendar {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
