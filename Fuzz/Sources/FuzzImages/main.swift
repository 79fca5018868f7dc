import CatalogCore
import FuzzSupport

/// The image walker on any bytes: a verdict or a refusal, never a crash or a huge allocation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    _ = try? ImageInspector.inspect(Array(UnsafeBufferPointer(start: start, count: count)))
    return 0
}

runFuzzer { start, count in fuzz(start, count) }
