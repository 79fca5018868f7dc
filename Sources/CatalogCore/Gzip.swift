import CDeflate
import NIOCore
import Synchronization

/// How hard a response body is compressed, with the compressors kept for that level.
public final class GzipLevel: Sendable {
    /// libdeflate's level, 1 (fastest) to 12 (smallest).
    public let value: Int32
    /// Compressors not in use. libdeflate's are large (200 KB at level 1, 660 KB at 9) and set up on allocation: one
    /// per call was an mmap, its page faults and a munmap per search page. Each call takes one and gives it back.
    private let idle = Mutex<[Compressor]>([])
    /// Most compressors kept idle: one per thread that compresses at once (event loops, snapshot builds) is enough.
    static let idleLimit = 4

    init(value: Int32) {
        self.value = value
    }

    /// Bodies served all version long (the catalog, packs, the emoji index): level 9, the size zlib's best gives
    /// (16.2 MB catalog: 1,723,545 bytes against zlib 9's 1,724,689) in 63 % of its time (240 ms against 384).
    public static let wholeVersion = GzipLevel(value: 9)
    /// Bodies prepared per request (a search page, 1–20 KB): level 1. A search answered afresh spent a third of its
    /// CPU in zlib; for a page of 20 stickers (11.5 KB) libdeflate's level 1 takes 20 µs where zlib's level 3 took
    /// 80 (same machine, same loop), and writes 2,117 bytes where that wrote 2,065.
    public static let perRequest = GzipLevel(value: 1)

    /// A libdeflate compressor; used by one thread at a time (it is taken from `idle` and given back).
    struct Compressor: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    /// Runs `body` with a compressor of this level; nil when none can be allocated or `body` gives nil.
    func withCompressor<Result>(_ body: (OpaquePointer) -> Result?) -> Result? {
        guard let compressor = idle.withLock({ $0.popLast() }) ?? libdeflate_alloc_compressor(value).map(Compressor.init) else { return nil }
        let result = body(compressor.pointer)
        let kept = idle.withLock { compressors in
            guard compressors.count < Self.idleLimit else { return false }
            compressors.append(compressor)
            return true
        }
        if !kept { libdeflate_free_compressor(compressor.pointer) }
        return result
    }
}

/// Gzip (RFC 1952) of whole buffers, through libdeflate.
///
/// Every body the service gzips is whole in memory before it is sent, which is the case libdeflate is made for: it
/// compresses one buffer in one call, two to four times faster than zlib's streaming API at the same size.
public enum Gzip {
    /// `bytes` as one gzip member. Never fails: should libdeflate's compressor not be allocated, the bytes are stored
    /// uncompressed in a valid gzip member rather than sent as something they are not.
    public static func compress(_ bytes: [UInt8], level: GzipLevel) -> ByteBuffer {
        let compressed = level.withCompressor { compressor -> ByteBuffer? in
            let bound = libdeflate_gzip_compress_bound(compressor, bytes.count)
            var buffer = ByteBufferAllocator().buffer(capacity: bound)
            let written = bytes.withUnsafeBytes { input in
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { output in
                    Int(libdeflate_gzip_compress(compressor, input.baseAddress, input.count, output.baseAddress, output.count))
                }
            }
            // libdeflate returns 0 only when the output does not fit, which the bound rules out.
            return written > 0 ? buffer : nil
        }
        return compressed ?? stored(bytes)
    }

    /// `bytes` in a gzip member of stored (uncompressed) deflate blocks: what any gunzip reads, at the cost of size.
    static func stored(_ bytes: [UInt8]) -> ByteBuffer {
        let blockLimit = Int(UInt16.max)
        let blocks = max(1, (bytes.count + blockLimit - 1) / blockLimit)
        var buffer = ByteBufferAllocator().buffer(capacity: 18 + 5 * blocks + bytes.count)
        // ID1 ID2, CM = deflate, no flags, no modification time, no extra flags, OS unknown.
        buffer.writeBytes([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF])
        var start = 0
        repeat {
            let end = min(bytes.count, start + blockLimit)
            let length = UInt16(end - start)
            buffer.writeInteger(UInt8(end == bytes.count ? 1 : 0))
            buffer.writeInteger(length, endianness: .little)
            buffer.writeInteger(~length, endianness: .little)
            buffer.writeBytes(bytes[start..<end])
            start = end
        } while start < bytes.count
        let crc = bytes.withUnsafeBytes { UInt32(libdeflate_crc32(0, $0.baseAddress, $0.count)) }
        buffer.writeInteger(crc, endianness: .little)
        buffer.writeInteger(UInt32(truncatingIfNeeded: bytes.count), endianness: .little)
        return buffer
    }
}
