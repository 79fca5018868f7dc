import Crypto

/// A file that came with an upload: a multipart part or a zip entry.
public struct UploadedFile: Sendable, Equatable {
    public var name: String
    /// The part's Content-Type, when the client sent one.
    public var declaredType: String?
    public var bytes: [UInt8]

    public init(name: String, declaredType: String?, bytes: [UInt8]) {
        self.name = name
        self.declaredType = declaredType
        self.bytes = bytes
    }
}

/// A pack whose manifest and images passed every rule, ready for one transaction.
public struct AssembledPack: Sendable, Equatable {
    public var manifest: PackManifest
    public var tray: AssetDescriptor
    /// Stickers in display order with their images.
    public var stickers: [StoredSticker]
    /// Images to insert (each once, even when several stickers share it); already-stored ones are not here.
    public var newAssets: [AssetBlob]
    public var animated: Bool
}

/// Checks a manifest against its files and the limits, and hashes the images.
public enum PackAssembler {
    /// The SHA-256 of `bytes` as 64 lowercase hex digits.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    /// `bytes` as lowercase hex digits, two per byte.
    public static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            output.append(hex[Int(byte >> 4)])
            output.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Formats a file name's extension may stand for; an extension listed with none (svg, jpg, html) never fits.
    static let formatsByExtension: [String: Set<ImageFormat>] = [
        "png": [.png, .apng], "apng": [.apng, .png], "webp": [.webp], "gif": [.gif], "tgs": [.tgs], "webm": [.webm], "svg": [], "jpg": [], "jpeg": [], "html": [], "htm": [],
    ]

    /// Inspects one image and checks the type its name or Content-Type declares.
    public static func inspect(_ file: UploadedFile) -> Result<(InspectedImage, String), FieldIssue> {
        let image: InspectedImage
        do {
            image = try ImageInspector.inspect(file.bytes)
        } catch {
            return .failure(FieldIssue(field: file.name, message: error.description))
        }
        if let declared = file.declaredType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased(),
           declared != "application/octet-stream", !declared.isEmpty {
            let compatible = declared == image.format.mime || (image.format == .apng && declared == "image/png")
            if !compatible {
                return .failure(FieldIssue(field: file.name, message: "is declared as \(declared) but its bytes are \(image.format.mime)"))
            }
        }
        let lowerName = file.name.lowercased()
        if let dot = lowerName.lastIndex(of: ".") {
            let ext = String(lowerName[lowerName.index(after: dot)...])
            if let formats = formatsByExtension[ext], !formats.contains(image.format) {
                return .failure(FieldIssue(field: file.name, message: "is named .\(ext) but its bytes are \(image.format.mime)"))
            }
        }
        return .success((image, sha256Hex(file.bytes)))
    }

    /// Validates `manifest` against `files` (by name) and already stored assets (by SHA-256).
    public static func assemble(
        manifest: PackManifest, files: [UploadedFile], storedAssets: [String: AssetDescriptor]
    ) throws(PackValidationError) -> AssembledPack {
        var resolver = AssetResolver(files: files, storedAssets: storedAssets)
        let tray = resolver.resolve(manifest.tray, field: "tray")
        if let tray { resolver.checkTray(tray, field: manifest.tray.name) }
        var stickers: [StoredSticker] = []
        for (index, sticker) in manifest.stickers.enumerated() {
            if let stored = resolver.sticker(sticker, field: "stickers[\(index)].file", packAnimated: manifest.animated) { stickers.append(stored) }
        }
        // A pack may mix still and animated stickers, as Telegram's do; `animated` says it has animated ones. A pack
        // declared `animated: false` has none (checked per sticker), one declared `animated: true` at least one.
        if manifest.animated == true, !stickers.isEmpty, !stickers.contains(where: { $0.asset.animated }) {
            resolver.issues.append(FieldIssue(field: "animated", message: "is true but no sticker is animated"))
        }
        let newAssets = try resolver.finish()
        return AssembledPack(
            manifest: manifest, tray: tray!, stickers: stickers, newAssets: newAssets,
            animated: manifest.animated ?? stickers.contains { $0.asset.animated }
        )
    }

    /// Validates one sticker added to an existing pack (checked against `packAnimated` when given); returns it with
    /// the images to insert (its image and thumbnail; none when it refers to a stored asset).
    public static func assembleSticker(
        _ manifest: StickerManifest, files: [UploadedFile], storedAssets: [String: AssetDescriptor], packAnimated: Bool?
    ) throws(PackValidationError) -> (sticker: StoredSticker, newAssets: [AssetBlob]) {
        var resolver = AssetResolver(files: files, storedAssets: storedAssets)
        let sticker = resolver.sticker(manifest, field: "sticker.file", packAnimated: packAnimated)
        let newAssets = try resolver.finish()
        return (sticker!, newAssets)
    }
}

extension AssetReference {
    /// The file name or hash, for error messages.
    var name: String {
        switch self {
        case .file(let name): return name
        case .stored(let sha): return sha
        }
    }
}

/// Resolves the images an upload refers to — uploaded files, inspected once each, or stored assets — and collects
/// every problem on the way.
struct AssetResolver {
    var issues: [FieldIssue] = []
    let files: [UploadedFile]
    let storedAssets: [String: AssetDescriptor]
    var filesByName: [String: UploadedFile] = [:]
    var referenced = Set<String>()
    var inspected: [String: AssetBlob] = [:]
    /// The thumbnail made for each inspected file that has one.
    var thumbnails: [String: AssetBlob] = [:]

    init(files: [UploadedFile], storedAssets: [String: AssetDescriptor]) {
        self.files = files
        self.storedAssets = storedAssets
        for file in files {
            if filesByName[file.name] != nil { issues.append(FieldIssue(field: file.name, message: "was uploaded twice")) }
            filesByName[file.name] = file
        }
    }

    mutating func resolve(_ reference: AssetReference, field: String) -> AssetDescriptor? {
        switch reference {
        case .stored(let sha):
            guard let descriptor = storedAssets[sha] else {
                issues.append(FieldIssue(field: field, message: "refers to asset \(sha), which is not stored"))
                return nil
            }
            return descriptor
        case .file(let name):
            referenced.insert(name)
            if let blob = inspected[name] { return blob.descriptor }
            guard let file = filesByName[name] else {
                issues.append(FieldIssue(field: field, message: "names file \(name), which was not uploaded"))
                return nil
            }
            switch PackAssembler.inspect(file) {
            case .failure(let issue):
                issues.append(issue)
                return nil
            case .success(let (image, sha)):
                let made: Thumbnail?
                do {
                    made = try Thumbnailer.thumbnail(of: file.bytes, image: image)
                } catch {
                    issues.append(FieldIssue(field: name, message: error.description))
                    return nil
                }
                let thumbnail = made.map { made in
                    let blob = made.blob
                    thumbnails[name] = blob
                    return AssetThumbnail(sha256: blob.descriptor.sha256, byteSize: made.bytes.count, width: made.width, height: made.height)
                }
                let descriptor = AssetDescriptor(
                    sha256: sha, mime: image.format.mime, byteSize: file.bytes.count, width: image.width, height: image.height,
                    frameCount: image.frameCount, thumbnail: thumbnail
                )
                inspected[name] = AssetBlob(descriptor: descriptor, bytes: file.bytes)
                return descriptor
            }
        }
    }

    mutating func checkTray(_ tray: AssetDescriptor, field: String) {
        if let format = ImageFormat(mime: tray.mime), !format.isPicture {
            issues.append(FieldIssue(field: field, message: "tray icon is \(tray.mime); a tray icon is a PNG, WebP or GIF image every client draws"))
        }
        let sides = CatalogLimits.minimumTraySide...CatalogLimits.maximumTraySide
        if !sides.contains(tray.width) || !sides.contains(tray.height) {
            issues.append(FieldIssue(field: field, message: "tray icon is \(tray.width)×\(tray.height); each side must be \(sides.lowerBound)–\(sides.upperBound) px"))
        }
        if tray.byteSize > CatalogLimits.maximumTrayBytes {
            issues.append(FieldIssue(field: field, message: "tray icon is \(tray.byteSize) bytes, more than \(CatalogLimits.maximumTrayBytes)"))
        }
    }

    /// Resolves a sticker's image and checks its size, bytes and agreement with the pack's animation.
    mutating func sticker(_ sticker: StickerManifest, field: String, packAnimated: Bool?) -> StoredSticker? {
        guard let asset = resolve(sticker.asset, field: field) else { return nil }
        let name = sticker.asset.name
        let sides = CatalogLimits.minimumStickerSide...CatalogLimits.maximumStickerSide
        if !sides.contains(asset.width) || !sides.contains(asset.height) {
            issues.append(FieldIssue(field: name, message: "is \(asset.width)×\(asset.height); each side must be \(sides.lowerBound)–\(sides.upperBound) px"))
        }
        let limit = asset.animated ? CatalogLimits.maximumAnimatedStickerBytes : CatalogLimits.maximumStaticStickerBytes
        if asset.byteSize > limit {
            issues.append(FieldIssue(field: name, message: "is \(asset.byteSize) bytes, more than the \(limit)-byte limit for \(asset.animated ? "animated" : "static") stickers"))
        }
        if packAnimated == false, asset.animated {
            issues.append(FieldIssue(field: name, message: "is animated but the pack is marked static"))
        }
        return StoredSticker(id: sticker.id, asset: asset, emojis: sticker.emojis, keywords: sticker.keywords, localizedKeywords: sticker.localizedKeywords, label: sticker.label)
    }

    /// Refuses files nothing refers to, throws the collected issues, or returns the new images (each once).
    mutating func finish() throws(PackValidationError) -> [AssetBlob] {
        for file in files where !referenced.contains(file.name) {
            issues.append(FieldIssue(field: file.name, message: "is not referenced by the manifest"))
        }
        if !issues.isEmpty { throw PackValidationError(.invalid, issues) }
        // Two names can hold the same bytes: keep one blob per hash, in a stable order. Thumbnails come first: an
        // image's row refers to its thumbnail's.
        var seen = Set<String>()
        func ordered(_ blobs: [String: AssetBlob]) -> [AssetBlob] {
            blobs.values.sorted { $0.descriptor.sha256 < $1.descriptor.sha256 }.filter { seen.insert($0.descriptor.sha256).inserted }
        }
        return ordered(thumbnails) + ordered(inspected)
    }
}
