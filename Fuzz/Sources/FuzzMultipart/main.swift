import CatalogCore
import FuzzSupport

/// The multipart reader on any bytes, with the boundary taken from the input's first line (so the fuzzer can vary
/// it too), and the part headers it returns read as the upload route reads them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    let newline = bytes.firstIndex(of: 0x0A) ?? bytes.count
    let contentType = "multipart/form-data; boundary=" + String(decoding: bytes[..<newline], as: UTF8.self)
    guard let boundary = MultipartForm.boundary(ofContentType: contentType) else { return 0 }
    let body = newline < bytes.count ? Array(bytes[(newline + 1)...]) : []
    guard let parts = try? MultipartForm.parts(of: body, boundary: boundary) else { return 0 }
    for part in parts { _ = MultipartForm.dispositionParameters(part.header("content-disposition") ?? "") }
    return 0
}

runFuzzer { start, count in fuzz(start, count) }
