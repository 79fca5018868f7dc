// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "catalog-service",
    platforms: [.macOS(.v15), .iOS(.v18)],
    products: [
        .library(name: "OpenIMContent", targets: ["OpenIMContent"]),
        .library(name: "CatalogCore", targets: ["CatalogCore"]),
        // For the whole-service fuzz target (Fuzz/), which runs the application in its own process.
        .library(name: "CatalogStore", targets: ["CatalogStore"]),
        .library(name: "CatalogAPI", targets: ["CatalogAPI"]),
        .executable(name: "catalog-service", targets: ["CatalogService"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Foundation only: importable by a gateway or an iOS app.
        .target(name: "OpenIMContent"),
        // libwebp, libwebpdemux, libpng, giflib and libvpx from Debian's -dev packages, for thumbnails.
        .systemLibrary(
            name: "CImageCodecs",
            providers: [.apt(["libwebp-dev", "libpng-dev", "libgif-dev", "libvpx-dev"])]
        ),
        // libdeflate from Debian's libdeflate-dev: the gzip of every response body (Gzip.swift).
        .systemLibrary(name: "CDeflate", providers: [.apt(["libdeflate-dev"])]),
        .target(
            name: "CatalogCore",
            dependencies: [
                "OpenIMContent",
                "CImageCodecs",
                "CDeflate",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
        .target(
            name: "CatalogStore",
            dependencies: [
                "CatalogCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Migrations")]
        ),
        .target(
            name: "CatalogAPI",
            dependencies: [
                "CatalogCore",
                "CatalogStore",
                "OpenIMContent",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "CatalogService",
            dependencies: [
                "CatalogAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "OpenIMContentTests",
            dependencies: [
                "OpenIMContent",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")]
        ),
        // Builders of images, zips and multipart bodies shared by the test targets.
        .target(
            name: "CatalogTestSupport",
            dependencies: [
                "CatalogCore",
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            path: "Tests/CatalogTestSupport"
        ),
        .testTarget(
            name: "CatalogCoreTests",
            dependencies: ["CatalogCore", "CatalogTestSupport", "OpenIMContent", .product(name: "CompressNIO", package: "compress-nio")]
        ),
        .testTarget(
            name: "CatalogAPITests",
            dependencies: [
                "CatalogAPI",
                "CatalogStore",
                "CatalogTestSupport",
                "OpenIMContent",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)
