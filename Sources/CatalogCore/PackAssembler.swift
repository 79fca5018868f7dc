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
        let digest = SHA256.hash(data: bytes)
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(64)
        for byte in digest {
            output.append(hex[Int(byte >> 4)])
            output.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: output, as: UTF8.self)
    }

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
            let known: [String: Set<ImageFormat>] = ["png": [.png, .apng], "apng": [.apng, .png], "webp": [.webp], "gif": [.gif], "svg": [], "jpg": [], "jpeg": [], "html": [], "htm": []]
            if let formats = known[ext], !formats.contains(image.format) {
                return .failure(FieldIssue(field: file.name, message: "is named .\(ext) but its bytes are \(image.format.mime)"))
            }
        }
        return .success((image, sha256Hex(file.bytes)))
    }

    /// Validates `manifest` against `files` (by name) and already stored assets (by SHA-256).
    public static func assemble(
        manifest: PackManifest, files: [UploadedFile], storedAssets: [String: AssetDescriptor]
    ) throws(PackValidationError) -> AssembledPack {
        var issues: [FieldIssue] = []
        var filesByName: [String: UploadedFile] = [:]
        for file in files {
            if filesByName[file.name] != nil { issues.append(FieldIssue(field: file.name, message: "was uploaded twice")) }
            filesByName[file.name] = file
        }
        var referenced = Set<String>()
        var inspected: [String: AssetBlob] = [:]

        func resolve(_ reference: AssetReference, field: String) -> AssetDescriptor? {
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
                switch inspect(file) {
                case .failure(let issue):
                    issues.append(issue)
                    return nil
                case .success(let (image, sha)):
                    let descriptor = AssetDescriptor(
                        sha256: sha, mime: image.format.mime, byteSize: file.bytes.count, width: image.width, height: image.height,
                        frameCount: image.frameCount
                    )
                    inspected[name] = AssetBlob(descriptor: descriptor, bytes: file.bytes)
                    return descriptor
                }
            }
        }

        func name(of reference: AssetReference) -> String {
            switch reference {
            case .file(let name): return name
            case .stored(let sha): return sha
            }
        }

        let tray = resolve(manifest.tray, field: "tray")
        if let tray {
            let field = name(of: manifest.tray)
            if !(CatalogLimits.minimumTraySide...CatalogLimits.maximumTraySide).contains(tray.width)
                || !(CatalogLimits.minimumTraySide...CatalogLimits.maximumTraySide).contains(tray.height) {
                issues.append(FieldIssue(field: field, message: "tray icon is \(tray.width)×\(tray.height); each side must be \(CatalogLimits.minimumTraySide)–\(CatalogLimits.maximumTraySide) px"))
            }
            if tray.byteSize > CatalogLimits.maximumTrayBytes {
                issues.append(FieldIssue(field: field, message: "tray icon is \(tray.byteSize) bytes, more than \(CatalogLimits.maximumTrayBytes)"))
            }
        }

        var stickers: [StoredSticker] = []
        for (index, sticker) in manifest.stickers.enumerated() {
            guard let asset = resolve(sticker.asset, field: "stickers[\(index)].file") else { continue }
            let field = name(of: sticker.asset)
            let maxSide = CatalogLimits.maximumStickerSide, minSide = CatalogLimits.minimumStickerSide
            if asset.width > maxSide || asset.height > maxSide || asset.width < minSide || asset.height < minSide {
                issues.append(FieldIssue(field: field, message: "is \(asset.width)×\(asset.height); each side must be \(minSide)–\(maxSide) px"))
            }
            let limit = asset.animated ? CatalogLimits.maximumAnimatedStickerBytes : CatalogLimits.maximumStaticStickerBytes
            if asset.byteSize > limit {
                issues.append(FieldIssue(field: field, message: "is \(asset.byteSize) bytes, more than the \(limit)-byte limit for \(asset.animated ? "animated" : "static") stickers"))
            }
            if let declared = manifest.animated, declared != asset.animated {
                issues.append(FieldIssue(field: field, message: declared ? "is static but the pack is marked animated" : "is animated but the pack is marked static"))
            }
            stickers.append(StoredSticker(id: sticker.id, asset: asset, emojis: sticker.emojis, keywords: sticker.keywords, label: sticker.label))
        }
        // WhatsApp's rule: a pack is all static or all animated, so clients can treat it one way.
        if manifest.animated == nil, Set(stickers.map(\.asset.animated)).count > 1 {
            issues.append(FieldIssue(field: "stickers", message: "mix static and animated images; a pack is all one or the other"))
        }
        for file in files where !referenced.contains(file.name) {
            issues.append(FieldIssue(field: file.name, message: "is not referenced by the manifest"))
        }
        if !issues.isEmpty { throw PackValidationError(.invalid, issues) }

        var seen = Set<String>()
        var newAssets: [AssetBlob] = []
        for blob in inspected.values.sorted(by: { $0.descriptor.sha256 < $1.descriptor.sha256 }) where seen.insert(blob.descriptor.sha256).inserted {
            newAssets.append(blob)
        }
        return AssembledPack(
            manifest: manifest, tray: tray!, stickers: stickers, newAssets: newAssets,
            animated: manifest.animated ?? (stickers.first?.asset.animated ?? false)
        )
    }
}
