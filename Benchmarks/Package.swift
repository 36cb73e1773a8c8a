// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "MovieMashBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "MovieMash", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "MovieMashBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ByteCoding", package: "MovieMash"),
                .product(name: "EventLog", package: "MovieMash"),
                .product(name: "EventStore", package: "MovieMash"),
                .product(name: "MovieMashCore", package: "MovieMash"),
                .product(name: "PostgresMirror", package: "MovieMash"),
                .product(name: "Projections", package: "MovieMash"),
                .product(name: "Recommender", package: "MovieMash"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Benchmarks/MovieMashBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "HTTPBaseline",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird"), .product(name: "EventLog", package: "MovieMash")],
            path: "Sources/HTTPBaseline"
        ),
        .executableTarget(
            name: "OpenLoopVotes",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Sources/OpenLoopVotes"
        ),
    ],
    swiftLanguageModes: [.v6]
)
