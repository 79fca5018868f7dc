import CatalogCore
import Foundation

/// The zip reader on any bytes: it validates the central directory before inflating and bounds every inflate.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard let archive = try? ZipArchive(bytes: Array(UnsafeBufferPointer(start: start, count: count))) else { return 0 }
    for entry in archive.entries { _ = try? archive.contents(of: entry) }
    return 0
}

// SwiftPM gives an executable its own `main`, so libFuzzer's is not linked; hand control to its driver instead.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { start, count in fuzz(start, count) })
