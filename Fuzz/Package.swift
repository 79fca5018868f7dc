// swift-tools-version:6.0
// libFuzzer targets, a package of their own so the sanitizer build never touches the main build.
// Run: scripts/fuzz [seconds per target]   (builds with -sanitize=fuzzer,address)
import PackageDescription

let package = Package(
    name: "catalog-service-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzOpenIMContent", dependencies: ["FuzzSupport", .product(name: "OpenIMContent", package: "main")]),
        .executableTarget(name: "FuzzImages", dependencies: ["FuzzSupport", .product(name: "CatalogCore", package: "main")]),
        .executableTarget(name: "FuzzZip", dependencies: ["FuzzSupport", .product(name: "CatalogCore", package: "main")]),
        .executableTarget(name: "FuzzManifest", dependencies: ["FuzzSupport", .product(name: "CatalogCore", package: "main")]),
    ]
)
