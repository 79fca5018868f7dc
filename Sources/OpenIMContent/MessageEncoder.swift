/// Turns catalog payloads into OpenIM message content.
public enum MessageEncoder {
    /// The form of message to build for an item.
    public enum Format: String, Sendable, CaseIterable {
        /// 110 custom with our payload in `data`: every client of ours renders it exactly.
        case custom
        /// 102 picture with all three renditions filled: stock OpenIM clients render it natively.
        case picture
        /// 115 face (`index: -1`, `data` = `{url,width,height}`) as OpenIM's demo clients send: SDK use only.
        case face
    }

    /// Builds 110 custom content: `data` is the payload, `description` the fallback text, `extension` the catalog
    /// version as `{"catalogVersion":N}` (empty when unknown).
    public static func custom(_ payload: CatalogPayload, catalogVersion: Int64?, text: FallbackText = .english) throws(OpenIMContentError) -> CustomElem {
        let data = try payload.encodedString()
        var extensionText = ""
        if let catalogVersion {
            var writer = JSONWriter(capacity: 32)
            writeExtension(catalogVersion, to: &writer)
            extensionText = writer.string
        }
        return CustomElem(data: data, description: text.describe(payload), extension: extensionText)
    }

    /// The `extension` JSON of a custom message: the catalog version the item was resolved at.
    static func writeExtension(_ catalogVersion: Int64, to writer: inout JSONWriter) {
        writer.object { $0.member("catalogVersion", catalogVersion) }
    }

    /// The custom (110) content object as JSON bytes, in one pass: the same bytes as
    /// `MessageContent.custom(try custom(payload, catalogVersion:text:)).jsonBytes`, without building the elem's
    /// strings first (the payload JSON is written straight into `data`, escaped as it is written). The gateway's
    /// path from a catalog item to a `send_msg` content object.
    public static func customContentBytes(_ payload: CatalogPayload, catalogVersion: Int64?, text: FallbackText = .english) throws(OpenIMContentError) -> [UInt8] {
        try payload.validate()
        var writer = JSONWriter(capacity: 512)
        var data = 0..<0
        writer.object { object in
            object.member("data") { data = $0.embeddedString { payload.write(to: &$0) } }
            object.member("description", text.describe(payload))
            object.member("extension") { writer in
                guard let catalogVersion else { return writer.string("") }
                writer.embeddedString { writeExtension(catalogVersion, to: &$0) }
            }
        }
        // The payload's own length is at most its escaped length: counted only when that is over the limit.
        if data.count > CatalogPayload.maximumEncodedBytes {
            let size = writer.unescapedLength(of: data)
            if size > CatalogPayload.maximumEncodedBytes {
                throw .tooLarge(field: "data", size: size, limit: CatalogPayload.maximumEncodedBytes)
            }
        }
        return writer.bytes
    }

    /// Builds 102 picture content. Stickers and GIFs use one image for all three renditions (a GIF's preview URL
    /// becomes the snapshot); media must be an image.
    public static func picture(_ payload: CatalogPayload) throws(OpenIMContentError) -> PictureElem {
        try payload.validate()
        switch payload {
        case .sticker(let sticker):
            try requireImage(sticker, message: "picture (102)")
            let info = PictureBaseInfo(
                uuid: "sticker-\(sticker.stickerId)", type: sticker.mime, size: 0,
                width: Int32(sticker.width), height: Int32(sticker.height), url: sticker.url
            )
            return PictureElem(sourcePicture: info, bigPicture: info, snapshotPicture: info)
        case .gif(let gif):
            let info = PictureBaseInfo(
                uuid: "\(gif.provider)-\(gif.providerId)", type: "image/gif", size: 0,
                width: Int32(gif.width), height: Int32(gif.height), url: gif.url
            )
            var snapshot = info
            if let preview = gif.previewUrl { snapshot.url = preview }
            return PictureElem(sourcePicture: info, bigPicture: info, snapshotPicture: snapshot)
        case .media(let media):
            guard media.kind == .image, let width = media.width, let height = media.height else {
                throw .invalidValue(field: "data.kind", reason: "must be image to build a picture message")
            }
            let info = PictureBaseInfo(
                uuid: media.mediaId, type: media.mime, size: media.size, width: Int32(width), height: Int32(height), url: media.url
            )
            var snapshot = info
            if let snapshotUrl = media.snapshotUrl { snapshot.url = snapshotUrl }
            return PictureElem(sourcePicture: info, bigPicture: info, snapshotPicture: snapshot)
        }
    }

    /// Stock OpenIM clients draw picture and face messages as images: a TGS animation (Lottie) or a WebM video
    /// sticker travels only as our custom message (110), whose payload names its type.
    static func requireImage(_ sticker: StickerPayload, message: String) throws(OpenIMContentError) {
        guard sticker.mime.hasPrefix("image/") else {
            throw .invalidValue(field: "data.mime", reason: "is \(sticker.mime), which stock OpenIM clients cannot draw as a \(message) message; send it as custom (110)")
        }
    }

    /// Builds 115 face content as OpenIM's demo clients do. Only client SDKs can send it.
    public static func face(_ payload: CatalogPayload) throws(OpenIMContentError) -> FaceElem {
        try payload.validate()
        let image: FaceImage
        switch payload {
        case .sticker(let sticker):
            try requireImage(sticker, message: "face (115)")
            image = FaceImage(url: sticker.url, width: sticker.width, height: sticker.height)
        case .gif(let gif): image = FaceImage(url: gif.url, width: gif.width, height: gif.height)
        case .media(let media):
            guard media.kind == .image, let width = media.width, let height = media.height else {
                throw .invalidValue(field: "data.kind", reason: "must be image to build a face message")
            }
            image = FaceImage(url: media.url, width: width, height: height)
        }
        return FaceElem(index: -1, data: image.encodedString())
    }

    /// Builds the native elem for a media file: image → 102, video → 104, audio → 103, file → 105.
    public static func native(_ media: MediaPayload, snapshotWidth: Int64? = nil, snapshotHeight: Int64? = nil, snapshotMime: String = "image/jpeg") throws(OpenIMContentError) -> MessageContent {
        try media.validate()
        switch media.kind {
        case .image:
            return .picture(try picture(.media(media)))
        case .video:
            guard let snapshotUrl = media.snapshotUrl else { throw .missingField("data.snapshotUrl") }
            let width = snapshotWidth ?? media.width ?? 0
            let height = snapshotHeight ?? media.height ?? 0
            guard width > 0, height > 0 else { throw .missingField("data.snapshotWidth") }
            guard let durationMs = media.durationMs, durationMs > 0 else { throw .missingField("data.durationMs") }
            return .video(VideoElem(
                videoUUID: media.mediaId, videoUrl: media.url, videoType: media.mime, videoSize: media.size,
                duration: max(1, (durationMs + 999) / 1000), snapshotUUID: "\(media.mediaId)-snapshot", snapshotSize: 0,
                snapshotUrl: snapshotUrl, snapshotWidth: Int32(width), snapshotHeight: Int32(height), snapshotType: snapshotMime
            ))
        case .audio:
            guard let durationMs = media.durationMs, durationMs > 0 else { throw .missingField("data.durationMs") }
            return .sound(SoundElem(uuid: media.mediaId, sourceUrl: media.url, dataSize: media.size, duration: max(1, (durationMs + 999) / 1000)))
        case .file:
            return .file(FileElem(
                uuid: media.mediaId, sourceUrl: media.url, fileName: media.fileName ?? media.mediaId, fileSize: media.size, fileType: media.mime
            ))
        }
    }

    /// Builds content of `format` for `payload`.
    public static func content(_ payload: CatalogPayload, format: Format, catalogVersion: Int64?, text: FallbackText = .english) throws(OpenIMContentError) -> MessageContent {
        switch format {
        case .custom: return .custom(try custom(payload, catalogVersion: catalogVersion, text: text))
        case .picture: return .picture(try picture(payload))
        case .face: return .face(try face(payload))
        }
    }
}

/// The `{url,width,height}` object OpenIM's demo clients put in a face message's `data`.
public struct FaceImage: Sendable, Equatable {
    public var url: String
    public var width: Int64
    public var height: Int64

    public init(url: String, width: Int64, height: Int64) {
        self.url = url
        self.width = width
        self.height = height
    }

    /// The object as a JSON string with sorted keys.
    public func encodedString() -> String {
        var writer = JSONWriter(capacity: 128)
        writer.object { object in
            object.member("height", height)
            object.member("url", url)
            object.member("width", width)
        }
        return writer.string
    }
}
