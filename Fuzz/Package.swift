// swift-tools-version:6.0
// libFuzzer targets, a package of their own so the sanitizer build never touches the main build.
// Run: scripts/fuzz [seconds per target]   (builds with -sanitize=fuzzer,address)
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder, so the main package's identity is whatever the checkout's
/// folder is called (`main` here, something else in a fresh clone).
let mainPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "catalog-service-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: ".."), .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2")],
    targets: [
        .target(name: "FuzzSupport"),
        // Whole requests as bytes and their structure-aware mutations (FuzzService's mutator, fuzzed on its own by
        // FuzzMutator: it runs between inputs, where a trap leaves nothing to reproduce).
        .target(name: "FuzzRequests"),
        .executableTarget(name: "FuzzMutator", dependencies: ["FuzzSupport", "FuzzRequests"]),
        .executableTarget(name: "FuzzOpenIMContent", dependencies: ["FuzzSupport", .product(name: "OpenIMContent", package: mainPackage)]),
        .executableTarget(name: "FuzzImages", dependencies: ["FuzzSupport", .product(name: "CatalogCore", package: mainPackage)]),
        .executableTarget(name: "FuzzZip", dependencies: ["FuzzSupport", .product(name: "CatalogCore", package: mainPackage)]),
        .executableTarget(name: "FuzzManifest", dependencies: ["FuzzSupport", .product(name: "CatalogCore", package: mainPackage)]),
        .executableTarget(name: "FuzzMultipart", dependencies: ["FuzzSupport", .product(name: "CatalogCore", package: mainPackage)]),
        // The whole service in-process: HTTP bytes through the byte lane, the decoder, the router, every route.
        .executableTarget(
            name: "FuzzService",
            dependencies: [
                "FuzzSupport", "FuzzRequests", .product(name: "CatalogAPI", package: mainPackage), .product(name: "CatalogStore", package: mainPackage),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
