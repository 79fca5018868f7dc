import CatalogCore
import Foundation

/// Manifests, merge patches, single stickers, GIF configurations and media registrations from any bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    _ = try? ManifestParser.parse(bytes)
    _ = try? ManifestParser.parsePatch(bytes)
    _ = try? ManifestParser.parseSticker(bytes)
    _ = try? GIFConfigurationParser.parse(bytes)
    _ = try? MediaRegistrationParser.parse(bytes, storageOrigin: "http://minio:10005")
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
