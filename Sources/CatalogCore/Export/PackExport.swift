import Foundation
import OpenIMContent

/// A pack written in the layout of another app, after a check of that app's rules: what breaks one is listed per
/// sticker (nothing is converted or exported wrong).
///
/// - `whatsapp`: the layout of WhatsApp's sticker-app sample (`contents.json` with `sticker_packs[]`, each pack's
///   files in a folder named by its identifier). Rules: 3–30 stickers, 512×512 WebP of at most 100 KB (static) or
///   500 KB (animated), a 96×96 PNG tray of at most 50 KB, 1–3 emoji each, all static or all animated.
/// - `telegram`: a Bot API sticker set (`set.json`, shaped like `getStickerSet`'s result plus each sticker's file,
///   emoji list, keywords and format) beside the files. Rules: static PNG or WebP with one side 512 px and the other
///   at most 512, at most 512 KB; animated TGS; video WebM; 1–20 emoji; 1–120 stickers.
public enum PackExport {
    public enum Layout: String, Sendable, CaseIterable {
        case whatsapp, telegram

        public var appName: String { self == .whatsapp ? "WhatsApp" : "Telegram" }
    }

    /// What in `pack` breaks `layout`'s rules, by field (`stickers[2]` names the sticker in its message).
    /// What an assembled upload breaks of `layout`'s rules (`?profile=` on uploads and imports: refused early rather
    /// than found at export).
    public static func violations(_ assembled: AssembledPack, layout: Layout) -> [FieldIssue] {
        let manifest = assembled.manifest
        let pack = StoredPack(
            id: manifest.id, title: manifest.title, description: manifest.description, publisher: manifest.publisher, tray: assembled.tray,
            status: manifest.status, position: manifest.position ?? 0, animated: assembled.animated, tags: manifest.tags, revision: 0,
            createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0), stickers: assembled.stickers
        )
        return violations(pack, layout: layout)
    }

    public static func violations(_ pack: StoredPack, layout: Layout) -> [FieldIssue] {
        switch layout {
        case .whatsapp: return whatsappViolations(pack)
        case .telegram: return telegramViolations(pack)
        }
    }

    /// The archive's files, in order; `bytes` gives each asset's bytes by SHA-256.
    public static func files(_ pack: StoredPack, layout: Layout, bytes: [String: [UInt8]]) -> [(path: String, bytes: [UInt8])] {
        // The layout's document, where its files go, and what its tray is called.
        let (document, folder, tray) = layout == .whatsapp
            ? (("contents.json", whatsappContents(pack)), "\(pack.id)/", "tray.png")
            : (("set.json", telegramSet(pack)), "", "thumbnail.\(pack.tray.fileExtension)")
        return [document, (folder + tray, bytes[pack.tray.sha256] ?? [])]
            + pack.stickers.enumerated().map { (folder + fileName($0.offset, $0.element), bytes[$0.element.asset.sha256] ?? []) }
    }

    /// The zip of `files`.
    public static func archive(_ files: [(path: String, bytes: [UInt8])]) -> [UInt8] {
        var writer = ZipWriter()
        for file in files { writer.add(file.path, file.bytes) }
        return writer.bytes
    }

    /// `01.webp`, `02.tgs` …: the sticker's place and its format's extension.
    static func fileName(_ index: Int, _ sticker: StoredSticker) -> String {
        (index + 1 < 10 ? "0" : "") + "\(index + 1).\(sticker.asset.fileExtension)"
    }

    /// The pack's title in English, else in the first locale by name.
    static func title(_ pack: StoredPack) -> String {
        pack.title["en"] ?? pack.title.sorted { $0.key < $1.key }.first?.value ?? pack.id
    }

    // MARK: WhatsApp

    static let whatsappStickers = 3...30
    static let whatsappStaticBytes = 100 * 1024
    static let whatsappAnimatedBytes = 500 * 1024
    static let whatsappTraySide = 96
    static let whatsappTrayBytes = 50 * 1024
    static let whatsappEmoji = 1...3

    static func whatsappViolations(_ pack: StoredPack) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        if !whatsappStickers.contains(pack.stickers.count) {
            issues.append(FieldIssue(field: "stickers", message: "has \(pack.stickers.count) stickers; a WhatsApp pack has \(whatsappStickers.lowerBound)–\(whatsappStickers.upperBound)"))
        }
        if Set(pack.stickers.map(\.asset.animated)).count > 1 {
            issues.append(FieldIssue(field: "stickers", message: "mix still and animated stickers; a WhatsApp pack is all one or the other"))
        }
        if pack.tray.mime != "image/png" || pack.tray.width != whatsappTraySide || pack.tray.height != whatsappTraySide {
            issues.append(FieldIssue(field: "tray", message: "is a \(pack.tray.width)×\(pack.tray.height) \(pack.tray.mime); WhatsApp's tray is a \(whatsappTraySide)×\(whatsappTraySide) PNG"))
        }
        if pack.tray.byteSize > whatsappTrayBytes {
            issues.append(FieldIssue(field: "tray", message: "is \(pack.tray.byteSize) bytes; WhatsApp's tray is at most \(whatsappTrayBytes)"))
        }
        for (index, sticker) in pack.stickers.enumerated() {
            let field = "stickers[\(index)]"
            let asset = sticker.asset
            if asset.mime != "image/webp" {
                issues.append(FieldIssue(field: field, message: "\(sticker.id) is \(asset.mime); WhatsApp stickers are WebP"))
            }
            if asset.width != 512 || asset.height != 512 {
                issues.append(FieldIssue(field: field, message: "\(sticker.id) is \(asset.width)×\(asset.height); WhatsApp stickers are 512×512"))
            }
            let limit = asset.animated ? whatsappAnimatedBytes : whatsappStaticBytes
            if asset.byteSize > limit {
                issues.append(FieldIssue(field: field, message: "\(sticker.id) is \(asset.byteSize) bytes; WhatsApp's limit for \(asset.animated ? "animated" : "static") stickers is \(limit)"))
            }
            if !whatsappEmoji.contains(sticker.emojis.count) {
                issues.append(FieldIssue(field: field, message: "\(sticker.id) has \(sticker.emojis.count) emoji; WhatsApp takes \(whatsappEmoji.lowerBound)–\(whatsappEmoji.upperBound)"))
            }
        }
        return issues
    }

    static func whatsappContents(_ pack: StoredPack) -> [UInt8] {
        var writer = JSONWriter(capacity: 2048)
        // Keys in byte order (JSONWriter's rule); WhatsApp's reader takes them in any order.
        writer.object { root in
            root.member("android_play_store_link", "")
            root.member("ios_app_store_link", "")
            root.member("sticker_packs") { packs in
                packs.array([pack]) { item, pack in
                    item.object { object in
                        object.member("animated_sticker_pack", pack.stickers.contains { $0.asset.animated })
                        object.member("avoid_cache", false)
                        object.member("identifier", pack.id)
                        object.member("image_data_version", String(pack.revision))
                        object.member("license_agreement_website", "")
                        object.member("name", title(pack))
                        object.member("privacy_policy_website", "")
                        object.member("publisher", pack.publisher)
                        object.member("publisher_email", "")
                        object.member("publisher_website", "")
                        object.member("stickers") { stickers in
                            stickers.array(pack.stickers.enumerated()) { element, pair in
                                element.object { entry in
                                    if let label = pair.element.label { entry.member("accessibility_text", label) }
                                    entry.member("emojis", pair.element.emojis)
                                    entry.member("image_file", fileName(pair.offset, pair.element))
                                }
                            }
                        }
                        object.member("tray_image_file", "tray.png")
                    }
                }
            }
        }
        return writer.bytes
    }

    // MARK: Telegram

    static let telegramEmoji = 1...20
    static let telegramStaticBytes = 512 * 1024

    /// Telegram's sticker format for an asset, or nil when Telegram takes no such file.
    static func telegramFormat(_ asset: AssetDescriptor) -> String? {
        switch ImageFormat(mime: asset.mime) {
        case .png?, .webp?: return asset.animated ? nil : "static"
        case .tgs?: return "animated"
        case .webm?: return "video"
        default: return nil
        }
    }

    static func telegramViolations(_ pack: StoredPack) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        for (index, sticker) in pack.stickers.enumerated() {
            let field = "stickers[\(index)]"
            let asset = sticker.asset
            guard let format = telegramFormat(asset) else {
                issues.append(FieldIssue(field: field, message: "\(sticker.id) is \(asset.animated ? "an animated " : "")\(asset.mime); Telegram takes still PNG or WebP, TGS or WebM"))
                continue
            }
            // TGS and WebM were checked by Telegram's own rules on upload.
            if format == "static" {
                if max(asset.width, asset.height) != 512 {
                    issues.append(FieldIssue(field: field, message: "\(sticker.id) is \(asset.width)×\(asset.height); one side of a Telegram sticker is 512 px"))
                }
                if asset.byteSize > telegramStaticBytes {
                    issues.append(FieldIssue(field: field, message: "\(sticker.id) is \(asset.byteSize) bytes; Telegram's limit is \(telegramStaticBytes)"))
                }
            }
            if !telegramEmoji.contains(sticker.emojis.count) {
                issues.append(FieldIssue(field: field, message: "\(sticker.id) has \(sticker.emojis.count) emoji; Telegram takes \(telegramEmoji.lowerBound)–\(telegramEmoji.upperBound)"))
            }
        }
        return issues
    }

    static func telegramSet(_ pack: StoredPack) -> [UInt8] {
        var writer = JSONWriter(capacity: 2048)
        writer.object { root in
            root.member("name", String(pack.id.map { $0 == "-" ? "_" : $0 }))
            root.member("sticker_type", "regular")
            root.member("stickers") { stickers in
                stickers.array(pack.stickers.enumerated()) { element, pair in
                    let (index, sticker) = pair
                    let format = ImageFormat(mime: sticker.asset.mime)
                    element.object { entry in
                        entry.member("emoji", sticker.emojis.first ?? "")
                        entry.member("emoji_list", sticker.emojis)
                        entry.member("file", fileName(index, sticker))
                        entry.member("format", telegramFormat(sticker.asset) ?? "static")
                        entry.member("height", sticker.asset.height)
                        entry.member("is_animated", format == .tgs)
                        entry.member("is_video", format == .webm)
                        entry.member("keywords", sticker.allKeywords)
                        entry.member("width", sticker.asset.width)
                    }
                }
            }
            root.member("thumbnail") { thumbnail in
                thumbnail.object { object in
                    object.member("file", "thumbnail.\(pack.tray.fileExtension)")
                    object.member("height", pack.tray.height)
                    object.member("width", pack.tray.width)
                }
            }
            root.member("title", title(pack))
        }
        return writer.bytes
    }
}
