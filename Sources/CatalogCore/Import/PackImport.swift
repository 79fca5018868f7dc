import Foundation
import OpenIMContent

/// Packs in the layouts admins already hold, read into manifests of ours. The manifest then goes through
/// `ManifestParser` and `PackAssembler` like any upload, so every rule and message is the same.
///
/// - `whatsapp`: WhatsApp's sticker-app layout: `contents.json` with `sticker_packs[]` (identifier, name, publisher,
///   tray_image_file, animated_sticker_pack, stickers with image_file, emojis, accessibility_text), each pack's
///   files in a folder named by its identifier.
/// - `wastickers`: a `.wastickers` archive: `title.txt`, `author.txt`, a tray PNG and WebP stickers (no emoji: each
///   sticker gets 🙂, said in the report).
/// - `telegram`: a Bot API sticker set (`set.json`, shaped like `getStickerSet`'s result) beside its downloaded files:
///   name, title, stickers with `emoji` or `emoji_list`, `keywords`, `format`, and each file as `file`, or named by
///   its `file_unique_id` or `file_id` with the format's extension; the tray is `thumbnail.file`.
public enum PackImport {
    public enum Layout: String, Sendable {
        case whatsapp, wastickers, telegram
    }

    /// The emoji given to stickers whose layout carries none.
    public static let defaultEmoji = "🙂"

    /// One pack read from an upload, before its id is settled.
    public struct Draft: Sendable {
        public var layout: Layout
        /// The pack's name in its layout (WhatsApp identifier, Telegram set name, .wastickers title).
        public var source: String
        /// The id derived from `source`.
        public var proposedId: String
        public var title: String
        public var publisher: String
        public var trayPath: String
        public var animated: Bool?
        public var stickers: [(path: String, emojis: [String], keywords: [String], label: String?)]
        public var files: [UploadedFile]
        public var notes: [String]

        /// Manifests name files without folders: each path's last part, made unique with a number where two clash.
        var plainNames: [String: String] {
            var names: [String: String] = [:]
            var used = Set<String>()
            for path in [trayPath] + stickers.map(\.path) where names[path] == nil {
                let base = path.split(separator: "/").last.map(String.init) ?? path
                var name = base.isEmpty ? "file" : base
                var counter = 1
                while !used.insert(name).inserted {
                    counter += 1
                    name = "\(counter)-\(base)"
                }
                names[path] = name
            }
            return names
        }

        /// The pack's files under the names its manifest uses.
        public var uploadedFiles: [UploadedFile] {
            let names = plainNames
            return files.map { UploadedFile(name: names[$0.name] ?? $0.name, declaredType: $0.declaredType, bytes: $0.bytes) }
        }

        /// The manifest of ours for this pack under `id`.
        public func manifest(id: String, status: PackStatus) -> [UInt8] {
            let names = plainNames
            var writer = JSONWriter(capacity: 1024)
            writer.object { root in
                if let animated { root.member("animated", animated) }
                root.member("id", id)
                root.member("publisher", publisher)
                root.member("status", status.rawValue)
                root.member("stickers") { list in
                    list.array(stickers.enumerated()) { element, pair in
                        element.object { sticker in
                            sticker.member("emojis", pair.element.emojis)
                            sticker.member("file", names[pair.element.path] ?? pair.element.path)
                            sticker.member("id", "\(id)-\(pair.offset + 1)")
                            sticker.member("keywords", pair.element.keywords)
                            sticker.member("label", pair.element.label)
                        }
                    }
                }
                root.member("title") { $0.stringObject(["en": title]) }
                root.member("tray", names[trayPath] ?? trayPath)
            }
            return writer.bytes
        }
    }

    /// A pack (or an archive) that could not be read, and why.
    public struct Failure: Sendable, Error {
        public var layout: Layout?
        public var source: String
        public var issues: [FieldIssue]
    }

    /// Reads every pack in one archive's `files` (paths as in the archive). `name` names the archive in failures.
    public static func packs(in files: [UploadedFile], name: String) -> [Result<Draft, Failure>] {
        let byPath = Dictionary(files.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        if let contents = files.first(where: { $0.name == "contents.json" || $0.name.hasSuffix("/contents.json") }) {
            return whatsapp(contents, byPath)
        }
        if let set = files.first(where: { $0.name == "set.json" || $0.name.hasSuffix("/set.json") }) {
            return [telegram(set, byPath)]
        }
        if files.contains(where: { $0.name == "title.txt" || $0.name.hasSuffix("/title.txt") }) {
            return [wastickers(files, name: name)]
        }
        return [.failure(Failure(layout: nil, source: name, issues: [FieldIssue(
            field: name, message: "is no layout this service imports: WhatsApp's (contents.json), .wastickers (title.txt) or a Telegram set (set.json)"
        )]))]
    }

    /// `text` as a pack id: lowercase letters and digits, other runs as one hyphen, 2–56 characters.
    public static func slug(_ text: String) -> String {
        var result = ""
        for scalar in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                result.unicodeScalars.append(scalar)
            } else if !result.isEmpty, !result.hasSuffix("-") {
                result += "-"
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        if result.count < 2 { result = "pack" + (result.isEmpty ? "" : "-" + result) }
        // Room for a clash suffix (-99) and sticker ids (-120) within the 64-character limit.
        return String(result.prefix(56))
    }

    // MARK: Layouts

    /// The folder part of `path` with its slash ("" at the root).
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[...slash])
    }

    static func string(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }

    static func strings(_ value: JSONValue?) -> [String] {
        guard case .array(let items)? = value else { return [] }
        return items.compactMap { string($0) }
    }

    static func json(_ file: UploadedFile) -> Result<JSONValue, Failure> {
        do {
            return .success(try JSONParser.parse(file.bytes))
        } catch {
            return .failure(Failure(layout: nil, source: file.name, issues: [FieldIssue(field: file.name, message: "is not valid JSON: \(error)")]))
        }
    }

    static func whatsapp(_ contents: UploadedFile, _ byPath: [String: UploadedFile]) -> [Result<Draft, Failure>] {
        let root = folder(of: contents.name)
        let document: JSONValue
        switch json(contents) {
        case .success(let value): document = value
        case .failure(var failure): failure.layout = .whatsapp; return [.failure(failure)]
        }
        guard case .array(let packs)? = document["sticker_packs"], !packs.isEmpty else {
            return [.failure(Failure(layout: .whatsapp, source: contents.name, issues: [FieldIssue(field: "\(contents.name): sticker_packs", message: "must be a non-empty array")]))]
        }
        return packs.enumerated().map { index, pack -> Result<Draft, Failure> in
            let identifier = string(pack["identifier"]) ?? ""
            let source = identifier.isEmpty ? "sticker_packs[\(index)]" : identifier
            guard !identifier.isEmpty else {
                return .failure(Failure(layout: .whatsapp, source: source, issues: [FieldIssue(field: "sticker_packs[\(index)].identifier", message: "is required")]))
            }
            let base = root + identifier + "/"
            var notes: [String] = []
            var stickers: [(path: String, emojis: [String], keywords: [String], label: String?)] = []
            guard case .array(let entries)? = pack["stickers"] else {
                return .failure(Failure(layout: .whatsapp, source: source, issues: [FieldIssue(field: "sticker_packs[\(index)].stickers", message: "must be an array")]))
            }
            for entry in entries {
                var emojis = strings(entry["emojis"])
                if emojis.isEmpty {
                    emojis = [defaultEmoji]
                    notes.append("\(string(entry["image_file"]) ?? "a sticker") had no emoji and got \(defaultEmoji)")
                }
                stickers.append((base + (string(entry["image_file"]) ?? ""), emojis, [], string(entry["accessibility_text"])))
            }
            var animated: Bool?
            if case .bool(let flag)? = pack["animated_sticker_pack"] { animated = flag }
            let tray = base + (string(pack["tray_image_file"]) ?? "")
            let used = Set([tray] + stickers.map(\.path))
            return .success(Draft(
                layout: .whatsapp, source: source, proposedId: slug(identifier), title: string(pack["name"]) ?? identifier,
                publisher: string(pack["publisher"]) ?? "", trayPath: tray, animated: animated, stickers: stickers,
                files: used.sorted().compactMap { byPath[$0] }, notes: notes
            ))
        }
    }

    static func telegram(_ set: UploadedFile, _ byPath: [String: UploadedFile]) -> Result<Draft, Failure> {
        let root = folder(of: set.name)
        let document: JSONValue
        switch json(set) {
        case .success(let value): document = value
        case .failure(var failure): failure.layout = .telegram; return .failure(failure)
        }
        let name = string(document["name"]) ?? ""
        guard !name.isEmpty else { return .failure(Failure(layout: .telegram, source: set.name, issues: [FieldIssue(field: "\(set.name): name", message: "is required")])) }
        guard case .array(let entries)? = document["stickers"] else {
            return .failure(Failure(layout: .telegram, source: name, issues: [FieldIssue(field: "\(set.name): stickers", message: "must be an array")]))
        }
        var issues: [FieldIssue] = []
        var stickers: [(path: String, emojis: [String], keywords: [String], label: String?)] = []
        for (index, entry) in entries.enumerated() {
            let extensions: [String]
            switch string(entry["format"]) {
            case "animated"?: extensions = ["tgs"]
            case "video"?: extensions = ["webm"]
            default: extensions = ["webp", "png"]
            }
            // The file: as named, or by its unique id or file id with the format's extension.
            var candidates: [String] = []
            if let file = string(entry["file"]) { candidates.append(root + file) }
            for key in ["file_unique_id", "file_id"] {
                if let id = string(entry[key]) { candidates += extensions.map { root + id + "." + $0 } }
            }
            guard let path = candidates.first(where: { byPath[$0] != nil }) else {
                issues.append(FieldIssue(field: "stickers[\(index)]", message: candidates.isEmpty ? "names no file (file, file_unique_id or file_id)" : "names \(candidates[0]), which is not in the upload"))
                continue
            }
            var emojis = strings(entry["emoji_list"])
            if emojis.isEmpty, let emoji = string(entry["emoji"]) { emojis = [emoji] }
            stickers.append((path, emojis, strings(entry["keywords"]), nil))
        }
        guard let thumbnail = string(document["thumbnail"]?["file"]) else {
            issues.append(FieldIssue(field: "thumbnail.file", message: "is required: the set's thumbnail becomes the pack's tray icon"))
            return .failure(Failure(layout: .telegram, source: name, issues: issues))
        }
        guard issues.isEmpty else { return .failure(Failure(layout: .telegram, source: name, issues: issues)) }
        let tray = root + thumbnail
        let used = Set([tray] + stickers.map(\.path))
        return .success(Draft(
            layout: .telegram, source: name, proposedId: slug(name.replacingOccurrences(of: "_", with: "-")), title: string(document["title"]) ?? name,
            publisher: string(document["publisher"]) ?? "Telegram", trayPath: tray, animated: nil, stickers: stickers,
            files: used.sorted().compactMap { byPath[$0] }, notes: []
        ))
    }

    static func wastickers(_ files: [UploadedFile], name: String) -> Result<Draft, Failure> {
        func text(_ file: String) -> String? {
            guard let found = files.first(where: { $0.name == file || $0.name.hasSuffix("/" + file) }) else { return nil }
            return String(decoding: found.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let title = text("title.txt") ?? ""
        let images = files.filter { !$0.name.hasSuffix(".txt") }.sorted { $0.name < $1.name }
        let webps = images.filter { $0.name.lowercased().hasSuffix(".webp") }
        guard let tray = images.first(where: { $0.name.lowercased().hasSuffix(".png") }) else {
            return .failure(Failure(layout: .wastickers, source: title.isEmpty ? name : title, issues: [FieldIssue(field: name, message: "has no tray PNG")]))
        }
        return .success(Draft(
            layout: .wastickers, source: title.isEmpty ? name : title, proposedId: slug(title.isEmpty ? name : title), title: title.isEmpty ? name : title,
            publisher: text("author.txt") ?? "", trayPath: tray.name, animated: nil,
            stickers: webps.map { ($0.name, [defaultEmoji], [], nil) }, files: [tray] + webps,
            notes: webps.isEmpty ? [] : [".wastickers carries no emoji: every sticker got \(defaultEmoji)"]
        ))
    }
}
