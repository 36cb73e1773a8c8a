// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "MovieMashBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "MovieMash", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "EventLogBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "EventLog", package: "MovieMash"),
                .product(name: "MovieMashCore", package: "MovieMash"),
            ],
            path: "Benchmarks/EventLogBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
