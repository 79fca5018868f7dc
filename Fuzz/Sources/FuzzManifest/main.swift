import CatalogCore
import FuzzSupport

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

runFuzzer { start, count in fuzz(start, count) }
