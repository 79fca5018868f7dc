import CImageCodecs

/// The poster of a video sticker: its first frame decoded with libvpx's VP9 decoder, and the alpha stream WebM
/// carries beside it (a second VP9 stream in the block's BlockAdditional, whose luma is the alpha) when there is one.
/// A video whose first frame does not decode simply has no poster: clients play the video itself.
enum VideoPoster {
    static func decode(_ bytes: [UInt8]) -> RGBAImage? {
        guard let frame = try? WebMInspector.firstVideoFrame(bytes) else { return nil }
        guard let color = decodeVP9(Array(bytes[frame.picture])) else { return nil }
        var alpha: VP9Picture?
        if let alphaRange = frame.alpha { alpha = decodeVP9(Array(bytes[alphaRange])) }
        return color.rgba(alpha: alpha)
    }

    /// Planes copied out of libvpx's image, 8-bit only.
    struct VP9Picture {
        var width: Int
        var height: Int
        var planes: [[UInt8]]
        var strides: [Int]
        var chromaShift: (x: Int, y: Int)

        /// BT.601 limited-range YUV to RGB; `alpha`'s luma becomes the alpha channel when it has this size.
        func rgba(alpha: VP9Picture?) -> RGBAImage {
            var pixels = [UInt8](repeating: 255, count: width * height * 4)
            let alphaPlane = alpha.flatMap { $0.width == width && $0.height == height ? $0 : nil }
            for y in 0..<height {
                for x in 0..<width {
                    let luma = Float(planes[0][y * strides[0] + x]) - 16
                    let (row, column) = (y >> chromaShift.y, x >> chromaShift.x)
                    let u = Float(planes[1][row * strides[1] + column]) - 128
                    let v = Float(planes[2][row * strides[2] + column]) - 128
                    let out = (y * width + x) * 4
                    pixels[out] = Self.clamp(1.164 * luma + 1.596 * v)
                    pixels[out + 1] = Self.clamp(1.164 * luma - 0.392 * u - 0.813 * v)
                    pixels[out + 2] = Self.clamp(1.164 * luma + 2.017 * u)
                    if let alphaPlane { pixels[out + 3] = alphaPlane.planes[0][y * alphaPlane.strides[0] + x] }
                }
            }
            return RGBAImage(width: width, height: height, pixels: pixels)
        }

        static func clamp(_ value: Float) -> UInt8 { UInt8(min(max(value, 0), 255).rounded()) }
    }

    static func decodeVP9(_ data: [UInt8]) -> VP9Picture? {
        guard !data.isEmpty else { return nil }
        var context = vpx_codec_ctx_t()
        guard catalog_vp9_decoder_init(&context) == VPX_CODEC_OK else { return nil }
        defer { vpx_codec_destroy(&context) }
        let status = data.withUnsafeBufferPointer { vpx_codec_decode(&context, $0.baseAddress, UInt32($0.count), nil, 0) }
        guard status == VPX_CODEC_OK else { return nil }
        var iterator: vpx_codec_iter_t?
        guard let image = vpx_codec_get_frame(&context, &iterator)?.pointee else { return nil }
        guard image.fmt.rawValue & UInt32(VPX_IMG_FMT_HIGHBITDEPTH) == 0 else { return nil }
        let width = Int(image.d_w), height = Int(image.d_h)
        guard width > 0, height > 0, width * height <= ImageDecoder.maximumPixels else { return nil }
        let shift = (x: Int(image.x_chroma_shift), y: Int(image.y_chroma_shift))
        var planes: [[UInt8]] = []
        var strides: [Int] = []
        for plane in 0..<3 {
            let pointer: UnsafeMutablePointer<UInt8>? = withUnsafeBytes(of: image.planes) { $0.load(fromByteOffset: plane * MemoryLayout<UnsafeMutablePointer<UInt8>?>.stride, as: UnsafeMutablePointer<UInt8>?.self) }
            let stride = withUnsafeBytes(of: image.stride) { Int($0.load(fromByteOffset: plane * MemoryLayout<Int32>.stride, as: Int32.self)) }
            let rows = plane == 0 ? height : (height + (1 << shift.y) - 1) >> shift.y
            guard let pointer, stride > 0 else { return nil }
            planes.append(Array(UnsafeBufferPointer(start: pointer, count: stride * rows)))
            strides.append(stride)
        }
        return VP9Picture(width: width, height: height, planes: planes, strides: strides, chromaShift: shift)
    }
}

extension WebMInspector {
    enum BlockID {
        static let blockAdditions: UInt32 = 0x75A1, blockMore: UInt32 = 0xA6, blockAddID: UInt32 = 0xEE, blockAdditional: UInt32 = 0xA5
    }

    /// Where the first frame of the video track lies in `bytes` (and its alpha, when a BlockAdditional with id 1
    /// carries one). Nil for a laced block, which no video sticker uses.
    static func firstVideoFrame(_ bytes: [UInt8]) throws(ImageError) -> (picture: Range<Int>, alpha: Range<Int>?)? {
        let reader = Reader(bytes: bytes)
        let header = try reader.element(at: 0, end: bytes.count)
        let segment = try reader.element(at: header.content.upperBound, end: bytes.count, unknownSizeAllowed: true)
        var videoTrack: UInt64?
        var found: (picture: Range<Int>, alpha: Range<Int>?)?
        try reader.children(of: segment.content) { (element: Element) throws(ImageError) in
            guard found == nil else { return }
            switch element.id {
            case ID.tracks:
                try reader.children(of: element.content) { (entry: Element) throws(ImageError) in
                    guard entry.id == ID.trackEntry else { return }
                    let track = try track(entry, reader)
                    if track.type == 1, videoTrack == nil { videoTrack = track.number }
                }
            case ID.cluster:
                guard let videoTrack else { return }
                try reader.children(of: element.content) { (child: Element) throws(ImageError) in
                    guard found == nil else { return }
                    switch child.id {
                    case ID.simpleBlock:
                        if let picture = try framePayload(child.content, track: videoTrack, reader) { found = (picture, nil) }
                    case ID.blockGroup:
                        var picture: Range<Int>?
                        var alpha: Range<Int>?
                        try reader.children(of: child.content) { (part: Element) throws(ImageError) in
                            if part.id == ID.block { picture = try framePayload(part.content, track: videoTrack, reader) }
                            if part.id == BlockID.blockAdditions { alpha = try alphaPayload(part.content, reader) }
                        }
                        if let picture { found = (picture, alpha) }
                    default: break
                    }
                }
            default: break
            }
        }
        return found
    }

    /// A block's frame bytes when it belongs to `track` and is not laced: after its track number, 16-bit timecode
    /// and flags.
    static func framePayload(_ content: Range<Int>, track: UInt64, _ reader: Reader) throws(ImageError) -> Range<Int>? {
        var position = content.lowerBound
        guard try reader.variableInteger(at: &position, end: content.upperBound, keepMarker: false).value == track else { return nil }
        guard content.upperBound - position > 3 else { return nil }
        let flags = reader.bytes[position + 2]
        guard flags & 0x06 == 0 else { return nil }
        return (position + 3)..<content.upperBound
    }

    /// The BlockAdditional of BlockAddID 1 (WebM's alpha channel), when present.
    static func alphaPayload(_ content: Range<Int>, _ reader: Reader) throws(ImageError) -> Range<Int>? {
        var alpha: Range<Int>?
        try reader.children(of: content) { (more: Element) throws(ImageError) in
            guard more.id == BlockID.blockMore else { return }
            var id: UInt64 = 1
            var data: Range<Int>?
            try reader.children(of: more.content) { (field: Element) throws(ImageError) in
                if field.id == BlockID.blockAddID { id = try reader.unsigned(field.content) }
                if field.id == BlockID.blockAdditional { data = field.content }
            }
            if id == 1, let data { alpha = data }
        }
        return alpha
    }
}
