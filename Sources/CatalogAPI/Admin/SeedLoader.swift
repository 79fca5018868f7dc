import CatalogCore
import CatalogStore
import Foundation

/// Loads `Seed/<pack>/manifest.json` plus images through the same parser, assembler and repository as an admin
/// upload. Packs that already exist are left as they are, so a second run changes nothing.
public struct SeedLoader: Sendable {
    let repository: any PackRepository

    public init(repository: any PackRepository) {
        self.repository = repository
    }

    /// Loads every pack folder under `directory`; returns one line per pack.
    public func load(directory: URL) async throws -> [String] {
        let folders = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.isDirectoryKey])
            .filter { (try? $0.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        var report: [String] = []
        for folder in folders {
            let manifestURL = folder.appendingPathComponent("manifest.json")
            guard FileManager.default.fileExists(atPath: manifestURL.path) else { continue }
            let manifest = try ManifestParser.parse(Array(try Data(contentsOf: manifestURL)))
            if try await repository.pack(id: manifest.id) != nil {
                report.append("\(manifest.id): already present, unchanged")
                continue
            }
            var files: [UploadedFile] = []
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where file != "manifest.json" && !file.hasPrefix(".") {
                files.append(UploadedFile(name: file, declaredType: nil, bytes: Array(try Data(contentsOf: folder.appendingPathComponent(file)))))
            }
            let assembled = try PackAssembler.assemble(manifest: manifest, files: files, storedAssets: [:])
            let result = try await repository.create(assembled, actor: .seed)
            report.append("\(manifest.id): created with \(result.value.stickers.count) stickers (catalog version \(result.catalogVersion))")
        }
        return report
    }
}
