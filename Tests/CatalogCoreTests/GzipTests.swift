@testable import CatalogCore
import CompressNIO
import Dispatch
import NIOCore
import Synchronization
import Testing

/// Response bodies are gzipped by libdeflate; zlib (through CompressNIO), which is what clients' gunzip is, must read
/// every one of them back to the exact bytes.
@Suite("Gzip writes members any gunzip reads back exactly")
struct GzipTests {
    /// Inputs around the edges that matter: empty, one byte, stored blocks' 65,535-byte limit, and bodies that
    /// compress well (JSON) and not at all (noise).
    static let inputs: [(name: String, bytes: [UInt8])] = {
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<200_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let json = Array(String(repeating: #"{"id":"cats-one","emojis":["😺"],"keywords":["cat","café"]},"#, count: 3_000).utf8)
        return [
            ("empty", []),
            ("one byte", [0x7B]),
            ("65,535 bytes", Array(noise[0..<65_535])),
            ("65,536 bytes", Array(noise[0..<65_536])),
            ("131,070 bytes", Array(noise[0..<131_070])),
            ("noise", noise),
            ("JSON", json),
        ]
    }()

    static func gunzip(_ buffer: ByteBuffer) throws -> [UInt8] {
        var buffer = buffer
        let inflated = try buffer.decompress(with: .gzip())
        return Array(inflated.readableBytesView)
    }

    @Test(arguments: [GzipLevel.perRequest, .wholeVersion])
    func compressedMembersInflateToTheirInput(level: GzipLevel) throws {
        for input in Self.inputs {
            let gzip = Gzip.compress(input.bytes, level: level)
            #expect(try Self.gunzip(gzip) == input.bytes, "\(input.name) at level \(level.value)")
            #expect(gzip.getBytes(at: 0, length: 3) == [0x1F, 0x8B, 8], "\(input.name) is a gzip member")
        }
    }

    @Test func jsonCompresses() {
        guard let json = Self.inputs.last?.bytes else { Issue.record("no JSON input"); return }
        // 3,000 copies of one 60-byte object: anything that deflates at all writes a small fraction of it.
        #expect(Gzip.compress(json, level: .perRequest).readableBytes < json.count / 20)
        #expect(Gzip.compress(json, level: .wholeVersion).readableBytes < json.count / 20)
    }

    /// Compressors are shared through a pool: threads compressing at once each get their own.
    @Test func concurrentCompressionsEachGetTheirOwnCompressor() throws {
        let inputs = (0..<64).map { index in Array("{\"page\":\(index),\"items\":[\(String(repeating: "\"sticker-\(index)\",", count: 200))]}".utf8) }
        let results = Mutex([ByteBuffer?](repeating: nil, count: inputs.count))
        DispatchQueue.concurrentPerform(iterations: inputs.count) { index in
            let gzip = Gzip.compress(inputs[index], level: .perRequest)
            results.withLock { $0[index] = gzip }
        }
        for (index, gzip) in results.withLock({ $0 }).enumerated() {
            #expect(try gzip.map(Self.gunzip) == inputs[index], "page \(index)")
        }
    }

    @Test func storedMembersInflateToTheirInput() throws {
        for input in Self.inputs {
            let stored = Gzip.stored(input.bytes)
            #expect(try Self.gunzip(stored) == input.bytes, "\(input.name) stored")
            // Header, trailer and five bytes per block of at most 65,535: nothing compressed.
            let blocks = max(1, (input.bytes.count + 65_534) / 65_535)
            #expect(stored.readableBytes == 18 + 5 * blocks + input.bytes.count, "\(input.name) stored size")
        }
    }
}
