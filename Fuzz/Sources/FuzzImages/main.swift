import CatalogCore
import FuzzSupport

/// The image walker on any bytes, and for what it accepts the thumbnail path through the system's decoders
/// (libpng, giflib, libwebp, libvpx) and libwebp's encoder: a verdict or a refusal, never a crash or a huge
/// allocation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    if let image = try? ImageInspector.inspect(bytes) {
        _ = try? Thumbnailer.thumbnail(of: bytes, image: image)
    }
    return 0
}

runFuzzer { start, count in fuzz(start, count) }
