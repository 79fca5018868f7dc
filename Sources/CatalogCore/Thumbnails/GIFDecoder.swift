import CImageCodecs

extension ImageDecoder {
    /// Bytes giflib reads through its input callback.
    final class GIFSource {
        let bytes: [UInt8]
        var offset = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    /// The first frame of a GIF drawn on its transparent canvas, read record by record with giflib (not
    /// `DGifSlurp`, which would decode every frame): extensions before the image give its transparent index.
    static func gif(_ bytes: [UInt8]) throws(ImageError) -> RGBAImage {
        let source = GIFSource(bytes)
        var error: Int32 = 0
        let read: InputFunc = { file, destination, count in
            guard let file, let destination, count > 0, let user = file.pointee.UserData else { return 0 }
            let source = Unmanaged<GIFSource>.fromOpaque(user).takeUnretainedValue()
            let taken = min(Int(count), source.bytes.count - source.offset)
            guard taken > 0 else { return 0 }
            let copied = source.bytes.withUnsafeBufferPointer { buffer -> Bool in
                guard let base = buffer.baseAddress else { return false }
                destination.update(from: base + source.offset, count: taken)
                return true
            }
            guard copied else { return 0 }
            source.offset += taken
            return Int32(taken)
        }
        let opened = withExtendedLifetime(source) { DGifOpen(Unmanaged.passUnretained(source).toOpaque(), read, &error) }
        guard let file = opened else { throw .corrupt("GIF does not decode: \(reason(error))") }
        defer {
            var closing: Int32 = 0
            _ = withExtendedLifetime(source) { DGifCloseFile(file, &closing) }
        }
        return try withExtendedLifetime(source) { () throws(ImageError) -> RGBAImage in try firstGIFFrame(file) }
    }

    static func reason(_ code: Int32) -> String {
        guard let text = GifErrorString(code) else { return "giflib error \(code)" }
        return String(cString: text)
    }

    static func firstGIFFrame(_ file: UnsafeMutablePointer<GifFileType>) throws(ImageError) -> RGBAImage {
        let canvasWidth = Int(file.pointee.SWidth), canvasHeight = Int(file.pointee.SHeight)
        guard canvasWidth > 0, canvasHeight > 0, canvasWidth * canvasHeight <= maximumPixels else {
            throw .corrupt("GIF canvas of \(canvasWidth)×\(canvasHeight)")
        }
        var transparentIndex: Int?
        while true {
            var record = UNDEFINED_RECORD_TYPE
            guard DGifGetRecordType(file, &record) == GIF_OK else { throw .corrupt("GIF does not decode: \(reason(file.pointee.Error))") }
            switch record {
            case EXTENSION_RECORD_TYPE:
                var code: Int32 = 0
                var block: UnsafeMutablePointer<GifByteType>?
                guard DGifGetExtension(file, &code, &block) == GIF_OK else { throw .corrupt("GIF does not decode: \(reason(file.pointee.Error))") }
                if code == GRAPHICS_EXT_FUNC_CODE, let block, block[0] >= 4 {
                    var control = GraphicsControlBlock()
                    if DGifExtensionToGCB(Int(block[0]), block + 1, &control) == GIF_OK, control.TransparentColor >= 0 {
                        transparentIndex = Int(control.TransparentColor)
                    }
                }
                while block != nil {
                    guard DGifGetExtensionNext(file, &block) == GIF_OK else { throw .corrupt("GIF does not decode: \(reason(file.pointee.Error))") }
                }
            case IMAGE_DESC_RECORD_TYPE:
                guard DGifGetImageDesc(file) == GIF_OK else { throw .corrupt("GIF does not decode: \(reason(file.pointee.Error))") }
                return try drawGIFImage(file, canvasWidth: canvasWidth, canvasHeight: canvasHeight, transparentIndex: transparentIndex)
            default:
                throw .corrupt("GIF has no image")
            }
        }
    }

    /// Reads the image just described, row by row (in interlaced order when it is interlaced), onto the canvas.
    static func drawGIFImage(
        _ file: UnsafeMutablePointer<GifFileType>, canvasWidth: Int, canvasHeight: Int, transparentIndex: Int?
    ) throws(ImageError) -> RGBAImage {
        let description = file.pointee.Image
        let left = Int(description.Left), top = Int(description.Top)
        let width = Int(description.Width), height = Int(description.Height)
        guard width > 0, height > 0, left + width <= canvasWidth, top + height <= canvasHeight else {
            throw .corrupt("GIF's first frame (\(width)×\(height) at \(left),\(top)) lies outside its \(canvasWidth)×\(canvasHeight) canvas")
        }
        guard let map = description.ColorMap ?? file.pointee.SColorMap, let colors = map.pointee.Colors else {
            throw .corrupt("GIF's first frame has no colour table")
        }
        let colorCount = Int(map.pointee.ColorCount)
        var rowOrder = Array(0..<height)
        if description.Interlace {
            rowOrder = [(0, 8), (4, 8), (2, 4), (1, 2)].flatMap { start, step in stride(from: start, to: height, by: step) }
        }
        var canvas = RGBAImage(clearWidth: canvasWidth, height: canvasHeight)
        var line = [GifPixelType](repeating: 0, count: width)
        for row in rowOrder {
            let status = line.withUnsafeMutableBufferPointer { DGifGetLine(file, $0.baseAddress, Int32(width)) }
            guard status == GIF_OK else { throw .corrupt("GIF does not decode: \(reason(file.pointee.Error))") }
            for column in 0..<width {
                let index = Int(line[column])
                guard index != transparentIndex, index < colorCount else { continue }
                let color = colors[index]
                let out = ((top + row) * canvasWidth + left + column) * 4
                canvas.pixels[out] = color.Red
                canvas.pixels[out + 1] = color.Green
                canvas.pixels[out + 2] = color.Blue
                canvas.pixels[out + 3] = 255
            }
        }
        return canvas
    }
}
