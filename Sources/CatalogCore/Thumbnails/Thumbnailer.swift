import CImageCodecs

/// A small still WebP for a picker grid, derived from a sticker or tray image at upload.
public struct Thumbnail: Sendable, Equatable {
    public var bytes: [UInt8]
    public var width: Int
    public var height: Int

    /// The thumbnail as an asset of its own, ready to store.
    public var blob: AssetBlob {
        AssetBlob(
            descriptor: AssetDescriptor(sha256: PackAssembler.sha256Hex(bytes), mime: ImageFormat.webp.mime, byteSize: bytes.count, width: width, height: height, frameCount: 1),
            bytes: bytes
        )
    }
}

/// Makes thumbnails: the image's first frame (a WebM's poster when it decodes; none for TGS, which clients draw as
/// Lottie), reduced to fit `side`×`side` by libwebp's rescaler (area averaging in premultiplied alpha, so transparent
/// pixels lend no colour) and encoded as lossy WebP with alpha.
public enum Thumbnailer {
    /// Thumbnails fit in this square (trays, at most 96 px, keep their size).
    public static let side = 128
    /// libwebp's quality factor (0–100) for thumbnails: small files, no visible blocking at 128 px.
    public static let quality: Float = 80

    /// The thumbnail of an inspected image, or nil for a format that has none (TGS, or a WebM whose first frame
    /// does not decode). Throws when a PNG, GIF or WebP whose structure passed inspection does not decode: clients
    /// could not draw it either.
    public static func thumbnail(of bytes: [UInt8], image: InspectedImage) throws(ImageError) -> Thumbnail? {
        guard let frame = try ImageDecoder.firstFrame(bytes, format: image.format, width: image.width, height: image.height) else { return nil }
        let made: Thumbnail? = withReducedPicture(frame, toFit: side) { picture in
            guard let encoded = encode(&picture, quality: quality) else { return nil }
            return Thumbnail(bytes: encoded, width: Int(picture.width), height: Int(picture.height))
        } ?? nil
        guard let made else { throw .corrupt("its thumbnail could not be encoded") }
        return made
    }

    /// The size that fits in `side`×`side` keeping the aspect ratio, never larger than the image itself.
    public static func fitting(width: Int, height: Int, in side: Int) -> (width: Int, height: Int) {
        let longer = max(width, height)
        guard longer > side else { return (width, height) }
        func scaled(_ length: Int) -> Int { max(1, Int((Double(length) * Double(side) / Double(longer)).rounded())) }
        return (scaled(width), scaled(height))
    }

    /// `image` reduced to fit `side`×`side` as thumbnails are, back as RGBA (what the thumbnail encodes).
    public static func reduced(_ image: RGBAImage, toFit side: Int) -> RGBAImage? {
        withReducedPicture(image, toFit: side) { picture -> RGBAImage? in
            let width = Int(picture.width), height = Int(picture.height), stride = Int(picture.argb_stride)
            guard let argb = picture.argb else { return nil }
            var pixels = [UInt8](repeating: 0, count: width * height * 4)
            for y in 0..<height {
                for x in 0..<width {
                    let value = argb[y * stride + x]
                    let out = (y * width + x) * 4
                    pixels[out] = UInt8(truncatingIfNeeded: value >> 16)
                    pixels[out + 1] = UInt8(truncatingIfNeeded: value >> 8)
                    pixels[out + 2] = UInt8(truncatingIfNeeded: value)
                    pixels[out + 3] = UInt8(truncatingIfNeeded: value >> 24)
                }
            }
            return RGBAImage(width: width, height: height, pixels: pixels)
        } ?? nil
    }

    /// Imports `image` into a libwebp picture, reduces it to fit `side` when it is larger, and runs `body` on it.
    static func withReducedPicture<Value>(_ image: RGBAImage, toFit side: Int, _ body: (inout WebPPicture) -> Value) -> Value? {
        var picture = WebPPicture()
        guard catalog_webp_picture_init(&picture) != 0 else { return nil }
        defer { WebPPictureFree(&picture) }
        picture.use_argb = 1
        picture.width = Int32(image.width)
        picture.height = Int32(image.height)
        let imported = image.pixels.withUnsafeBufferPointer { WebPPictureImportRGBA(&picture, $0.baseAddress, Int32(image.width * 4)) }
        guard imported != 0 else { return nil }
        let target = fitting(width: image.width, height: image.height, in: side)
        if target != (image.width, image.height) {
            guard WebPPictureRescale(&picture, Int32(target.width), Int32(target.height)) != 0 else { return nil }
        }
        return body(&picture)
    }

    /// Encodes a picture as lossy WebP with alpha into memory.
    static func encode(_ picture: inout WebPPicture, quality: Float) -> [UInt8]? {
        var config = WebPConfig()
        guard catalog_webp_config(&config, quality) != 0 else { return nil }
        var writer = WebPMemoryWriter()
        WebPMemoryWriterInit(&writer)
        defer { WebPMemoryWriterClear(&writer) }
        let encoded = withUnsafeMutablePointer(to: &writer) { pointer -> Int32 in
            picture.writer = WebPMemoryWrite
            picture.custom_ptr = UnsafeMutableRawPointer(pointer)
            defer { picture.custom_ptr = nil }
            return WebPEncode(&config, &picture)
        }
        guard encoded != 0, let memory = writer.mem, writer.size > 0 else { return nil }
        return Array(UnsafeBufferPointer(start: memory, count: writer.size))
    }

    /// Lossless WebP (for fixtures and tools that need exact pixels).
    public static func encodeLosslessWebP(_ image: RGBAImage) -> [UInt8]? {
        var output: UnsafeMutablePointer<UInt8>?
        let size = image.pixels.withUnsafeBufferPointer { pixels in
            WebPEncodeLosslessRGBA(pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(image.width * 4), &output)
        }
        guard size > 0, let output else { return nil }
        defer { WebPFree(output) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    /// Decodes a WebP's first frame (tests and tools check thumbnails with it).
    public static func decodeWebP(_ bytes: [UInt8]) throws(ImageError) -> RGBAImage {
        try ImageDecoder.webp(bytes)
    }
}
