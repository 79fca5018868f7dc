// swift-tools-version:6.1
// Micro-benchmarks, kept in a package of their own so `scripts/test` never builds ordo-one/benchmark.
// Run: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
// Plain loop (no harness, no malloc interposer): cd Benchmarks && swift run -c release EncodeDecodeLoop
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder, so the main package's identity is whatever the checkout's
/// folder is called (`main` here, something else in a fresh clone).
let mainPackage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "catalog-service-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // Allocations are counted by ordo's malloc interposer, which wraps every malloc; BENCHMARK_WALL_CLOCK_ONLY=1
        // builds without it, for wall-clock figures free of that instrumentation.
        .package(
            url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1",
            traits: ProcessInfo.processInfo.environment["BENCHMARK_WALL_CLOCK_ONLY"] == nil ? ["MallocInterposer"] : []
        ),
    ],
    targets: [
        .executableTarget(
            name: "OpenIMContentBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OpenIMContent", package: mainPackage),
            ],
            path: "Benchmarks/OpenIMContentBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "SearchIndexLoop",
            dependencies: [
                .product(name: "CatalogCore", package: mainPackage),
                .product(name: "OpenIMContent", package: mainPackage),
            ],
            path: "Benchmarks/SearchIndexLoop"
        ),
        .executableTarget(
            name: "EncodeDecodeLoop",
            dependencies: [.product(name: "OpenIMContent", package: mainPackage)],
            path: "Benchmarks/EncodeDecodeLoop"
        ),
    ]
)
