// swift-tools-version:6.1
// Micro-benchmarks, kept in a package of their own so `scripts/test` never builds ordo-one/benchmark.
// Run: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
// Plain loop (no harness, no malloc interposer): cd Benchmarks && swift run -c release EncodeDecodeLoop
import PackageDescription

let package = Package(
    name: "catalog-service-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "OpenIMContentBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "OpenIMContent", package: "main"),
            ],
            path: "Benchmarks/OpenIMContentBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "EncodeDecodeLoop",
            dependencies: [.product(name: "OpenIMContent", package: "main")],
            path: "Benchmarks/EncodeDecodeLoop"
        ),
    ]
)
