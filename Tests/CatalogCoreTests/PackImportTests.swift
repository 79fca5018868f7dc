import CatalogCore
import CatalogTestSupport
import Testing

@Suite("Import layouts: ids derived from names, files found by path")
struct PackImportTests {
    @Test func idsAreSlugsWithRoomForSuffixes() {
        #expect(PackImport.slug("Happy Faces!") == "happy-faces")
        #expect(PackImport.slug("  Ünïcode — Cats  ") == "n-code-cats")
        #expect(PackImport.slug("!") == "pack")
        #expect(PackImport.slug("x") == "pack-x")
        let long = PackImport.slug(String(repeating: "ab", count: 100))
        #expect(long.count == 56)
        // The longest id with a clash suffix and the 120th sticker's id stay valid ids.
        #expect(Slug.isValid(long + "-99") && Slug.isValid(long + "-99-120"))
    }

    @Test func unknownLayoutsAreNamed() {
        let results = PackImport.packs(in: [UploadedFile(name: "readme.md", declaredType: nil, bytes: Array("hi".utf8))], name: "upload.zip")
        guard case .failure(let failure)? = results.first else { Issue.record("read as a pack"); return }
        #expect(failure.issues.first?.message.contains("is no layout this service imports") == true)
    }
}
