import CatalogCore
import CatalogTestSupport
import Testing

@Suite("Zip uploads are validated from the central directory before inflating")
struct ZipArchiveTests {
    typealias Entry = ZipFactory.Entry

    @Test func readsStoredAndDeflatedEntries() throws {
        let png = ImageFactory.png(width: 64, height: 64)
        let archive = try ZipArchive(bytes: ZipFactory.archive([
            Entry(name: "manifest.json", bytes: Array("{}".utf8)), Entry(name: "a.png", bytes: png, deflate: false),
        ]))
        #expect(archive.entries.map(\.name) == ["manifest.json", "a.png"])
        #expect(try archive.contents(of: archive.entries[1]) == png)
        #expect(try archive.contents(of: archive.entries[0]) == Array("{}".utf8))
    }

    @Test func aSingleTopFolderIsStripped() throws {
        let archive = try ZipArchive(bytes: ZipFactory.archive([
            Entry(name: "pack/", bytes: [], deflate: false), Entry(name: "pack/manifest.json", bytes: Array("{}".utf8)),
            Entry(name: "pack/a.png", bytes: [1, 2, 3]),
        ]))
        #expect(archive.entries.map(\.name) == ["manifest.json", "a.png"])
    }

    @Test(arguments: [
        ("../evil.png", "climbs out of the archive with .."),
        ("a/../../evil.png", "climbs out of the archive with .."),
        ("/etc/passwd", "has an absolute path"),
        ("C:/windows/x.png", "has an absolute path"),
        ("a\\b.png", "contains a backslash"),
    ])
    func unsafeNamesAreRefused(name: String, reason: String) {
        #expect(throws: ZipError.unsafeEntry(name: name, reason: reason)) {
            try ZipArchive(bytes: ZipFactory.archive([Entry(name: name, bytes: [1])]))
        }
    }

    @Test func symlinksAreRefused() {
        #expect(throws: ZipError.unsafeEntry(name: "link.png", reason: "is a symlink")) {
            try ZipArchive(bytes: ZipFactory.archive([Entry(name: "link.png", bytes: Array("/etc/passwd".utf8), deflate: false, symlink: true)]))
        }
    }

    @Test func duplicatesAreRefused() {
        #expect(throws: ZipError.unsafeEntry(name: "a.png", reason: "appears twice")) {
            try ZipArchive(bytes: ZipFactory.archive([Entry(name: "a.png", bytes: [1]), Entry(name: "a.png", bytes: [2])]))
        }
    }

    @Test func bombsAreRefusedBeforeInflating() {
        // 10 MB of zeros deflates to about 10 KB: a ratio near 1000.
        let zeros = [UInt8](repeating: 0, count: 10 * 1024 * 1024)
        #expect(throws: ZipError.suspiciousRatio(name: "bomb.png")) { try ZipArchive(bytes: ZipFactory.archive([Entry(name: "bomb.png", bytes: zeros)])) }
    }

    @Test func aLyingSizeCannotInflatePastItsDeclaration() throws {
        let zeros = [UInt8](repeating: 0, count: 200_000)
        let archive = try ZipArchive(bytes: ZipFactory.archive([Entry(name: "liar.png", bytes: zeros, declaredSize: 1000)]))
        #expect(throws: ZipError.self) { try archive.contents(of: archive.entries[0]) }
    }

    @Test func tooManyEntriesAreRefusedUpFront() {
        let entries = (0...CatalogLimits.maximumZipEntries).map { Entry(name: "f\($0).png", bytes: [1], deflate: false) }
        #expect(throws: ZipError.tooManyEntries(CatalogLimits.maximumZipEntries + 1)) { try ZipArchive(bytes: ZipFactory.archive(entries)) }
        let atLimit = (0..<CatalogLimits.maximumZipEntries).map { Entry(name: "f\($0).png", bytes: [1], deflate: false) }
        #expect(throws: Never.self) { try ZipArchive(bytes: ZipFactory.archive(atLimit)) }
    }

    @Test func encryptionAndGarbageAreRefused() throws {
        #expect(throws: ZipError.unsupported("encryption")) { try ZipArchive(bytes: ZipFactory.archive([Entry(name: "a.png", bytes: [1], encrypted: true)])) }
        #expect(throws: ZipError.notAZip) { try ZipArchive(bytes: Array("definitely not a zip file at all".utf8)) }
        // A flipped byte in the stored data: the directory reads fine, the CRC check refuses the contents.
        var corrupt = ZipFactory.archive([Entry(name: "a.png", bytes: Array(repeating: 7, count: 100), deflate: false)])
        corrupt[40] ^= 0xFF
        let archive = try ZipArchive(bytes: corrupt)
        #expect(throws: ZipError.corrupt("a.png fails its size or CRC check")) { try archive.contents(of: archive.entries[0]) }
    }
}
