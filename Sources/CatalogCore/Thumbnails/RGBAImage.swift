/// Pixels as 8-bit RGBA rows (not premultiplied), what every decoder here produces and the WebP encoder takes.
public struct RGBAImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// `width * height * 4` bytes, row after row.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 4, "RGBA buffer of the wrong size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A transparent canvas.
    init(clearWidth width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: 0, count: width * height * 4))
    }
}
