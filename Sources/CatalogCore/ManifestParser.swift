import Foundation
import OpenIMContent

/// Reads pack manifests and merge patches, collecting every problem with its field path.
///
/// Unknown members are refused by name; members a GET returns but a client cannot set (`revision`, timestamps,
/// URLs and image facts) are accepted and ignored, so a document read from the API can be sent back unchanged.
public enum ManifestParser {
    static let packFields: Set<String> = ["id", "title", "description", "publisher", "tray", "traySha256", "status", "position", "animated", "tags", "stickers"]
    static let packReadOnlyFields: Set<String> = ["revision", "createdAt", "updatedAt", "trayUrl", "trayThumbnailUrl", "etag", "stickerCount", "version"]
    static let stickerFields: Set<String> = ["id", "file", "sha256", "emojis", "keywords", "label"]
    static let stickerReadOnlyFields: Set<String> = ["url", "thumbnailUrl", "mime", "format", "width", "height", "animated", "byteSize", "frameCount", "position"]
    static let patchFields: Set<String> = ["title", "description", "publisher", "status", "tags", "position"]

    /// Whether `value` is a locale tag as titles and keywords take them (`en`, `zh-Hans`, `pt-BR`).
    public static func isLocaleTag(_ value: String) -> Bool { Issues.isLocale(value) }

    /// Parses manifest bytes; `expectedId` (from the URL of a PUT) must match the manifest's id when both are given.
    public static func parse(_ bytes: [UInt8], expectedId: String? = nil) throws(PackValidationError) -> PackManifest {
        let (json, members) = try Issues.object(bytes, field: "manifest", limit: CatalogLimits.maximumManifestBytes)
        var issues = Issues()
        issues.rejectUnknown(members, allowed: packFields, ignored: packReadOnlyFields, path: "")

        // A PUT names the pack in its URL, so its manifest may leave `id` out.
        let id = expectedId == nil ? issues.string(json, "id", path: "id") : (issues.optionalString(json, "id", path: "id") ?? expectedId)
        if let value = id, !Slug.isValid(value) { issues.add("id", Slug.rule) }
        if let expectedId, let value = id, value != expectedId { issues.add("id", "is \(value) but the URL names \(expectedId)") }

        let title = issues.localized(json["title"], path: "title", maxLength: CatalogLimits.maximumTitleLength, required: true)
        let description = issues.localized(json["description"], path: "description", maxLength: CatalogLimits.maximumDescriptionLength, required: false)
        let publisher = issues.string(json, "publisher", path: "publisher").flatMap { issues.text($0, path: "publisher", maxLength: CatalogLimits.maximumPublisherLength) }

        var tray: AssetReference?
        let trayFile = issues.optionalString(json, "tray", path: "tray")
        let traySha = issues.optionalString(json, "traySha256", path: "traySha256")
        if let trayFile {
            tray = issues.fileName(trayFile, path: "tray").map { .file($0) }
        } else if let traySha {
            if isSHA256(traySha) { tray = .stored(sha256: traySha) } else { issues.add("traySha256", "must be 64 lowercase hex digits") }
        } else {
            issues.add("tray", "is required: the file name of the tray icon")
        }

        var status = PackStatus.draft
        if let text = issues.optionalString(json, "status", path: "status") {
            if let parsed = PackStatus(rawValue: text) { status = parsed } else { issues.add("status", "must be draft, published or archived") }
        }
        let position = issues.optionalInteger(json, "position", path: "position", range: 0...1_000_000)
        let animated = issues.optionalBool(json, "animated", path: "animated")
        let tags = issues.stringList(json["tags"], path: "tags", maxCount: CatalogLimits.maximumTags, maxLength: CatalogLimits.maximumTagLength)

        var stickers: [StickerManifest] = []
        switch json["stickers"] {
        case .array(let elements)?:
            if !CatalogLimits.stickersPerPack.contains(elements.count) {
                issues.add("stickers", "must hold \(CatalogLimits.stickersPerPack.lowerBound) to \(CatalogLimits.stickersPerPack.upperBound) stickers, not \(elements.count)")
            }
            for (index, element) in elements.prefix(CatalogLimits.stickersPerPack.upperBound).enumerated() {
                if let sticker = issues.sticker(element, path: "stickers[\(index)]") { stickers.append(sticker) }
            }
        case nil, .null?:
            issues.add("stickers", "is required: at least one sticker")
        default:
            issues.add("stickers", "must be an array")
        }

        if !issues.list.isEmpty { throw PackValidationError(.invalid, issues.list) }
        // Duplicate ids inside one upload are a conflict, as they are against other packs.
        var seen = Set<String>()
        let duplicates = stickers.map(\.id).filter { !seen.insert($0).inserted }
        if !duplicates.isEmpty {
            throw PackValidationError(.conflict, Set(duplicates).sorted().map { FieldIssue(field: "stickers", message: "sticker id \($0) appears more than once") })
        }
        return PackManifest(
            id: id!, title: title ?? [:], description: description ?? [:], publisher: publisher!, tray: tray!, status: status,
            position: position, animated: animated, tags: tags ?? [], stickers: stickers
        )
    }

    /// Parses a JSON merge patch (RFC 7396) of a pack's metadata.
    public static func parsePatch(_ bytes: [UInt8]) throws(PackValidationError) -> PackPatch {
        let (json, members) = try Issues.object(bytes, field: "body", limit: CatalogLimits.maximumManifestBytes)
        var issues = Issues()
        issues.rejectUnknown(members, allowed: patchFields, ignored: packReadOnlyFields.union(["id", "tray", "traySha256", "stickers", "animated"]), path: "")
        var patch = PackPatch()
        if let value = json["title"] { patch.title = issues.localizedPatch(value, path: "title", maxLength: CatalogLimits.maximumTitleLength) }
        if let value = json["description"] {
            patch.description = issues.localizedPatch(value, path: "description", maxLength: CatalogLimits.maximumDescriptionLength)
        }
        if json["publisher"] != nil, let value = issues.string(json, "publisher", path: "publisher") {
            patch.publisher = issues.text(value, path: "publisher", maxLength: CatalogLimits.maximumPublisherLength)
        }
        if json["status"] != nil, let text = issues.string(json, "status", path: "status") {
            if let parsed = PackStatus(rawValue: text) { patch.status = parsed } else { issues.add("status", "must be draft, published or archived") }
        }
        if json["tags"] != nil {
            patch.tags = issues.stringList(json["tags"], path: "tags", maxCount: CatalogLimits.maximumTags, maxLength: CatalogLimits.maximumTagLength) ?? []
        }
        if json["position"] != nil { patch.position = issues.optionalInteger(json, "position", path: "position", range: 0...1_000_000) }
        if !issues.list.isEmpty { throw PackValidationError(.invalid, issues.list) }
        return patch
    }

    /// Parses one sticker's JSON for `POST /v1/admin/packs/{id}/stickers`.
    public static func parseSticker(_ bytes: [UInt8]) throws(PackValidationError) -> StickerManifest {
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw PackValidationError(.malformed, field: "sticker", "is not valid JSON: \(error)")
        }
        var issues = Issues()
        let sticker = issues.sticker(json, path: "sticker")
        if let sticker, issues.list.isEmpty { return sticker }
        throw PackValidationError(.invalid, issues.list)
    }

    /// Whether `value` is 64 lowercase hex digits.
    public static func isSHA256(_ value: String) -> Bool {
        value.utf8.count == 64 && value.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }
}

/// A merge patch of pack metadata: nil members are left as they are.
public struct PackPatch: Sendable, Equatable {
    /// Per-locale changes: a nil text removes the locale.
    public var title: [String: String?]?
    public var description: [String: String?]?
    public var publisher: String?
    public var status: PackStatus?
    public var tags: [String]?
    public var position: Int?

    public init() {}

    /// Applies a per-locale merge patch to `texts`.
    public static func merge(_ texts: [String: String], _ patch: [String: String?]?) -> [String: String] {
        guard let patch else { return texts }
        var result = texts
        for (locale, text) in patch { result[locale] = text }
        return result
    }
}

/// Collects issues while reading JSON fields.
struct Issues {
    /// Parses a request body that must be one JSON object of at most `limit` bytes; `field` names it in refusals.
    static func object(_ bytes: [UInt8], field: String, limit: Int) throws(PackValidationError) -> (JSONValue, [(key: String, value: JSONValue)]) {
        guard bytes.count <= limit else { throw PackValidationError(.invalid, field: field, "is \(bytes.count) bytes, more than \(limit)") }
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw PackValidationError(.malformed, field: field, "is not valid JSON: \(error)")
        }
        guard case .object(let members) = json else { throw PackValidationError(.malformed, field: field, "must be a JSON object") }
        return (json, members)
    }

    var list: [FieldIssue] = []

    mutating func add(_ field: String, _ message: String) {
        list.append(FieldIssue(field: field, message: message))
    }

    mutating func rejectUnknown(_ members: [(key: String, value: JSONValue)], allowed: Set<String>, ignored: Set<String>, path: String) {
        for member in members where !allowed.contains(member.key) && !ignored.contains(member.key) {
            add(path.isEmpty ? member.key : "\(path).\(member.key)", "is not a known field")
        }
    }

    mutating func string(_ object: JSONValue, _ key: String, path: String) -> String? {
        switch object[key] {
        case .string(let text)?: return text
        case nil, .null?: add(path, "is required"); return nil
        default: add(path, "must be a string"); return nil
        }
    }

    mutating func optionalString(_ object: JSONValue, _ key: String, path: String) -> String? {
        switch object[key] {
        case .string(let text)?: return text
        case nil, .null?: return nil
        default: add(path, "must be a string"); return nil
        }
    }

    mutating func optionalBool(_ object: JSONValue, _ key: String, path: String) -> Bool? {
        switch object[key] {
        case .bool(let flag)?: return flag
        case nil, .null?: return nil
        default: add(path, "must be true or false"); return nil
        }
    }

    mutating func optionalInteger(_ object: JSONValue, _ key: String, path: String, range: ClosedRange<Int>) -> Int? {
        switch object[key] {
        case .integer(let number)?:
            guard number >= Int64(range.lowerBound), number <= Int64(range.upperBound) else {
                add(path, "must be between \(range.lowerBound) and \(range.upperBound)")
                return nil
            }
            return Int(number)
        case nil, .null?: return nil
        default: add(path, "must be an integer"); return nil
        }
    }

    /// Checks free text: not blank, no control characters, at most `maxLength` characters.
    mutating func text(_ value: String, path: String, maxLength: Int) -> String? {
        if value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { add(path, "must not be blank"); return nil }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format && $0.value != 0x200D && $0.value != 0xFE0F }) {
            add(path, "must not contain control characters")
            return nil
        }
        if value.count > maxLength { add(path, "must be at most \(maxLength) characters, not \(value.count)"); return nil }
        return value
    }

    mutating func fileName(_ value: String, path: String) -> String? {
        if value.isEmpty || value.utf8.count > 255 || value.contains("/") || value.contains("\\") || value.hasPrefix(".")
            || value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            add(path, "must be a plain file name (no folders, at most 255 bytes)")
            return nil
        }
        return value
    }

    static func isLocale(_ value: String) -> Bool {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard let first = parts.first, (2...3).contains(first.count), first.allSatisfy({ $0.isASCII && $0.isLetter }) else { return false }
        return parts.dropFirst().allSatisfy { (1...8).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    mutating func localized(_ value: JSONValue?, path: String, maxLength: Int, required: Bool) -> [String: String]? {
        switch value {
        case nil, .null?:
            if required { add(path, "is required: an object of locale → text, e.g. {\"en\": \"Cats\"}") }
            return required ? nil : [:]
        case .object(let members)?:
            if required, members.isEmpty { add(path, "must have at least one locale"); return nil }
            if members.count > CatalogLimits.maximumLocales { add(path, "must have at most \(CatalogLimits.maximumLocales) locales"); return nil }
            var result: [String: String] = [:]
            for member in members {
                let field = "\(path).\(member.key)"
                guard Self.isLocale(member.key) else { add(field, "is not a locale tag such as en or zh-Hans"); continue }
                guard case .string(let text) = member.value else { add(field, "must be a string"); continue }
                if let checked = self.text(text, path: field, maxLength: maxLength) { result[member.key] = checked }
            }
            return result
        default:
            add(path, "must be an object of locale → text")
            return nil
        }
    }

    mutating func localizedPatch(_ value: JSONValue, path: String, maxLength: Int) -> [String: String?]? {
        guard case .object(let members) = value else { add(path, "must be an object of locale → text (null removes a locale)"); return nil }
        var result: [String: String?] = [:]
        for member in members {
            let field = "\(path).\(member.key)"
            guard Self.isLocale(member.key) else { add(field, "is not a locale tag such as en or zh-Hans"); continue }
            switch member.value {
            case .null: result[member.key] = .some(nil)
            case .string(let text): if let checked = self.text(text, path: field, maxLength: maxLength) { result[member.key] = checked }
            default: add(field, "must be a string or null")
            }
        }
        return result
    }

    mutating func stringList(_ value: JSONValue?, path: String, maxCount: Int, maxLength: Int) -> [String]? {
        switch value {
        case nil, .null?: return []
        case .array(let elements)?:
            if elements.count > maxCount { add(path, "must have at most \(maxCount) entries, not \(elements.count)"); return nil }
            var result: [String] = []
            for (index, element) in elements.enumerated() {
                guard case .string(let text) = element else { add("\(path)[\(index)]", "must be a string"); continue }
                if let checked = self.text(text, path: "\(path)[\(index)]", maxLength: maxLength) { result.append(checked) }
            }
            return result
        default:
            add(path, "must be an array of strings")
            return nil
        }
    }

    /// Keywords per locale (`{"en": ["hello"], "zh-Hans": ["你好"]}`): each locale's list has the flat list's limits.
    mutating func localizedLists(_ members: [(key: String, value: JSONValue)], path: String) -> [String: [String]] {
        if members.count > CatalogLimits.maximumLocales { add(path, "must have at most \(CatalogLimits.maximumLocales) locales"); return [:] }
        var result: [String: [String]] = [:]
        for member in members {
            let field = "\(path).\(member.key)"
            guard Self.isLocale(member.key) else { add(field, "is not a locale tag such as en or zh-Hans"); continue }
            guard case .array = member.value else { add(field, "must be an array of keywords"); continue }
            if let list = stringList(member.value, path: field, maxCount: CatalogLimits.maximumKeywords, maxLength: CatalogLimits.maximumKeywordLength), !list.isEmpty {
                result[member.key] = list
            }
        }
        return result
    }

    static func isEmoji(_ value: String) -> Bool {
        guard value.count == 1, let character = value.first else { return false }
        return EmojiKey.isEmoji(character)
    }

    mutating func sticker(_ value: JSONValue, path: String) -> StickerManifest? {
        guard case .object(let members) = value else { add(path, "must be an object"); return nil }
        let before = list.count
        rejectUnknown(members, allowed: ManifestParser.stickerFields, ignored: ManifestParser.stickerReadOnlyFields, path: path)
        let id = string(value, "id", path: "\(path).id")
        if let id, !Slug.isValid(id) { add("\(path).id", Slug.rule) }
        var asset: AssetReference?
        if let file = optionalString(value, "file", path: "\(path).file") {
            asset = fileName(file, path: "\(path).file").map { .file($0) }
        } else if let sha = optionalString(value, "sha256", path: "\(path).sha256") {
            if ManifestParser.isSHA256(sha) { asset = .stored(sha256: sha) } else { add("\(path).sha256", "must be 64 lowercase hex digits") }
        } else {
            add("\(path).file", "is required: the file name of the sticker's image")
        }
        var emojis: [String] = []
        switch value["emojis"] {
        case .array(let elements)?:
            if !CatalogLimits.emojisPerSticker.contains(elements.count) {
                add("\(path).emojis", "must hold \(CatalogLimits.emojisPerSticker.lowerBound) to \(CatalogLimits.emojisPerSticker.upperBound) emojis, not \(elements.count)")
            }
            for (index, element) in elements.prefix(CatalogLimits.emojisPerSticker.upperBound).enumerated() {
                guard case .string(let text) = element, Self.isEmoji(text) else { add("\(path).emojis[\(index)]", "must be a single emoji"); continue }
                emojis.append(text)
            }
        case nil, .null?: add("\(path).emojis", "is required: 1 to \(CatalogLimits.emojisPerSticker.upperBound) emojis")
        default: add("\(path).emojis", "must be an array of emojis")
        }
        var keywords: [String]?
        var localizedKeywords: [String: [String]] = [:]
        if case .object(let members)? = value["keywords"] {
            localizedKeywords = localizedLists(members, path: "\(path).keywords")
            keywords = []
        } else {
            keywords = stringList(value["keywords"], path: "\(path).keywords", maxCount: CatalogLimits.maximumKeywords, maxLength: CatalogLimits.maximumKeywordLength)
        }
        var label: String?
        if let text = optionalString(value, "label", path: "\(path).label") {
            label = self.text(text, path: "\(path).label", maxLength: CatalogLimits.maximumLabelLength)
        }
        guard list.count == before, let id, let asset else { return nil }
        return StickerManifest(id: id, asset: asset, emojis: emojis, keywords: keywords ?? [], localizedKeywords: localizedKeywords, label: label)
    }
}
