import CImageCodecs

/// Decodes the first frame of an image to RGBA with the system's image libraries (libpng, giflib, libwebp,
/// libvpx). Callers check the image's structure and size with `ImageInspector` first; every decoder here also
/// checks that the pixels it gets have the size the header promised.
enum ImageDecoder {
    /// The largest image decoded: well above the largest sticker, far below what could exhaust memory.
    static let maximumPixels = 1024 * 1024

    static func firstFrame(_ bytes: [UInt8], format: ImageFormat, width: Int, height: Int) throws(ImageError) -> RGBAImage? {
        guard width > 0, height > 0, width * height <= maximumPixels else { return nil }
        let image: RGBAImage?
        switch format {
        case .png, .apng: image = try png(bytes)
        case .gif: image = try gif(bytes)
        case .webp: image = try webp(bytes)
        case .webm: image = VideoPoster.decode(bytes)
        case .tgs: image = nil
        }
        if let image, image.width != width || image.height != height {
            throw .corrupt("its pixels are \(image.width)×\(image.height) but its header says \(width)×\(height)")
        }
        return image
    }

    /// PNG and the default image of an APNG (its first frame, or the still image older viewers show), through
    /// libpng's simplified API, which reports errors in the image struct instead of longjmp-ing through Swift.
    static func png(_ bytes: [UInt8]) throws(ImageError) -> RGBAImage {
        // libpng keeps the pointer from begin_read to finish_read: both run inside one access to the bytes.
        let decoded: Result<RGBAImage, ImageError> = bytes.withUnsafeBytes { raw in
            var image = png_image()
            image.version = UInt32(PNG_IMAGE_VERSION)
            guard png_image_begin_read_from_memory(&image, raw.baseAddress, raw.count) != 0 else {
                return .failure(.corrupt("PNG does not decode: \(Self.message(of: &image))"))
            }
            defer { png_image_free(&image) }
            let width = Int(image.width), height = Int(image.height)
            guard width > 0, height > 0, width * height <= maximumPixels else { return .failure(.corrupt("PNG of \(width)×\(height) pixels")) }
            image.format = UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)  // PNG_FORMAT_RGBA
            var pixels = [UInt8](repeating: 0, count: width * height * 4)
            let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) != 0 }
            guard finished else { return .failure(.corrupt("PNG does not decode: \(Self.message(of: &image))")) }
            return .success(RGBAImage(width: width, height: height, pixels: pixels))
        }
        return try decoded.get()
    }

    static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let text = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            return text.isEmpty ? "libpng gave no reason" : text
        }
    }

    /// The first frame of a (possibly animated) WebP, composed on its canvas by libwebp's animation decoder.
    static func webp(_ bytes: [UInt8]) throws(ImageError) -> RGBAImage {
        let decoded: RGBAImage? = bytes.withUnsafeBufferPointer { buffer -> RGBAImage? in
            guard let base = buffer.baseAddress, let decoder = catalog_webp_anim_decoder(base, buffer.count) else { return nil }
            defer { WebPAnimDecoderDelete(decoder) }
            var info = WebPAnimInfo()
            guard WebPAnimDecoderGetInfo(decoder, &info) != 0 else { return nil }
            let width = Int(info.canvas_width), height = Int(info.canvas_height)
            guard width > 0, height > 0, width * height <= maximumPixels else { return nil }
            var frame: UnsafeMutablePointer<UInt8>?
            var timestamp: Int32 = 0
            guard WebPAnimDecoderGetNext(decoder, &frame, &timestamp) != 0, let frame else { return nil }
            return RGBAImage(width: width, height: height, pixels: Array(UnsafeBufferPointer(start: frame, count: width * height * 4)))
        }
        guard let decoded else { throw .corrupt("WebP does not decode (libwebp refused its first frame)") }
        return decoded
    }
}
