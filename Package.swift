// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "MovieMash",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "moviemash", targets: ["moviemash"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "MovieMashCore", targets: ["MovieMashCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .target(name: "EventLog", dependencies: ["CLZ4"]),
        .target(name: "MovieMashCore"),
        .executableTarget(
            name: "moviemash",
            dependencies: [
                "EventLog",
                "MovieMashCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["EventLog", "MovieMashCore"], path: "Tests/TestSupport"),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "TestSupport"], exclude: ["Golden"]),
        .testTarget(name: "MovieMashCoreTests", dependencies: ["MovieMashCore", "TestSupport"]),
        .testTarget(name: "moviemashTests", dependencies: ["EventLog", "MovieMashCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
