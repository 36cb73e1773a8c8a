// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "MovieMash",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "moviemash", targets: ["moviemash"]),
        .library(name: "ByteCoding", targets: ["ByteCoding"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "EventStore", targets: ["EventStore"]),
        .library(name: "MovieMashServer", targets: ["MovieMashServer"]),
        .library(name: "MovieMashCore", targets: ["MovieMashCore"]),
        .library(name: "PostgresMirror", targets: ["PostgresMirror"]),
        .library(name: "Projections", targets: ["Projections"]),
        .library(name: "Recommender", targets: ["Recommender"]),
        .library(name: "Scraper", targets: ["Scraper"]),
        .library(name: "Gateway", targets: ["Gateway"]),
        .library(name: "KeyVault", targets: ["KeyVault"]),
        .executable(name: "moviemash-fuzz", targets: ["MovieMashFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64", from: "1.2.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0", traits: ["JSON", "CommandLineArguments"]),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .target(name: "CCRC32C"),
        .target(name: "ByteCoding", dependencies: ["CCRC32C"]),
        .target(name: "EventLog", dependencies: ["CLZ4", "ByteCoding", .product(name: "DequeModule", package: "swift-collections")]),
        .target(name: "EventStore", dependencies: ["EventLog", "MovieMashCore"]),
        .target(
            name: "Scraper",
            dependencies: [
                "ByteCoding",
                "CLibXML2",
                "MovieMashCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "MovieMashCore", dependencies: ["ByteCoding"]),
        .target(
            name: "KeyVault",
            dependencies: ["ByteCoding", "MovieMashCore", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "PostgresMirror",
            dependencies: [
                "ByteCoding",
                "EventLog",
                "EventStore",
                "MovieMashCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            plugins: ["EmbedFiles"]
        ),
        .target(
            name: "Recommender",
            // AVX2 and FMA (Haswell level, every x86 server since about 2015): eight Float32 lanes per
            // instruction with fused multiply-add, as the BLAS that `implicit` dispatches to uses.
            swiftSettings: [.unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux]))]
        ),
        .target(
            name: "Projections",
            dependencies: [
                "ByteCoding",
                .product(name: "OrderedCollections", package: "swift-collections"),
                "MovieMashCore",
                "Recommender",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "MovieMashCore",
                "Projections",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Web")],
            plugins: ["EmbedFiles"]
        ),
        .target(
            name: "MovieMashServer",
            dependencies: [
                "EventLog", "EventStore", "Gateway", "KeyVault", "MovieMashCore", "PostgresMirror", "Projections", "Scraper",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "EmbedFilesTool"),
        .target(name: "CFuzzer"),
        // Fuzz targets (Scripts/fuzz builds them with libFuzzer; an ordinary build replays a corpus).
        .executableTarget(
            name: "MovieMashFuzz",
            dependencies: [
                "ByteCoding", "CFuzzer", "EventLog", "EventStore", "Gateway", "MovieMashCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["EmbedFilesTool"]),
        .executableTarget(
            name: "moviemash",
            dependencies: [
                "EventLog",
                "EventStore",
                "MovieMashServer",
                "MovieMashCore",
                "PostgresMirror",
                "Projections",
                "Scraper",
                "Gateway",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "EventLog", "EventStore", "MovieMashCore", "PostgresMirror",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TestSupport"),
        .testTarget(name: "ByteCodingTests", dependencies: ["ByteCoding"]),
        .testTarget(name: "EventStoreTests", dependencies: ["EventStore", "EventLog", "MovieMashCore", "TestSupport"]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "MovieMashCoreTests", dependencies: ["MovieMashCore", "TestSupport"]),
        .testTarget(name: "KeyVaultTests", dependencies: ["KeyVault", "MovieMashCore", "TestSupport"]),
        .testTarget(
            name: "PostgresMirrorTests",
            dependencies: [
                "PostgresMirror", "TestSupport", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ]),
        .testTarget(name: "ScraperTests", dependencies: ["Scraper", "MovieMashCore", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Projections", "EventLog", "EventStore", "KeyVault", "MovieMashCore", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ]),
        .testTarget(name: "RecommenderTests", dependencies: ["Recommender", "MovieMashCore", "TestSupport"]),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "EventLog", "EventStore", "MovieMashCore", "MovieMashServer", "TestSupport", .product(name: "InMemoryLogging", package: "swift-log")]),
        .testTarget(
            name: "MovieMashServerTests",
            dependencies: [
                "MovieMashServer", "EventLog", "EventStore", "KeyVault", "MovieMashCore", "PostgresMirror", "Projections", "Scraper", "TestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
        .testTarget(
            name: "moviemashTests",
            dependencies: [
                "EventLog", "EventStore", "Gateway", "KeyVault", "MovieMashCore", "MovieMashServer", "PostgresMirror", "Projections", "TestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
