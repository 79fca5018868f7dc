import CatalogCore
import FuzzSupport

/// The zip reader on any bytes: it validates the central directory before inflating and bounds every inflate.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let archive = try? ZipArchive(bytes: Array(UnsafeBufferPointer(start: start, count: count))) else { return 0 }
    for entry in archive.entries { _ = try? archive.contents(of: entry) }
    return 0
}

runFuzzer { start, count in fuzz(start, count) }
