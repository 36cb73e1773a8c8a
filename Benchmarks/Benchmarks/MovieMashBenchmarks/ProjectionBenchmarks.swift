import Benchmark
import EventLog
import EventStore
import Foundation
import MovieMashCore
import Projections

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// A log with a catalogue (2,000 films, 10,000 sets) and 1M votes, so film Elo runs too; and its JSON dump
/// for the Python reference.
final class ProjectionLogFixture: @unchecked Sendable {
    static let shared = ProjectionLogFixture()
    let votes = 1_000_000
    let directory = temporaryDirectory("moviemash-projections")
    var dump: String { directory + "/dump.jsonl" }
    private(set) var count = 0
    private var built = false

    func build() async throws {
        guard !built else { return }
        built = true
        var sample = SampleEvents(seed: 21, films: 2000, sets: 10_000, voters: 1000)
        let events = sample.catalogueEvents() + (0..<votes).map { _ in sample.nextVote() }
        count = events.count
        var configuration = EventLog.Configuration()
        configuration.fsync = .never
        let log = try EventLog(directory: directory + "/log", configuration: configuration)
        for start in stride(from: 0, to: events.count, by: 4096) {
            _ = try await log.append(contentsOf: events[start..<min(start + 4096, events.count)].map(LogRecord.init))
        }
        try await log.close()
        FileManager.default.createFile(atPath: dump, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: dump))
        for (position, event) in events.enumerated() {
            var positioned = event
            positioned.position = UInt64(position)
            output.write(EventCodec.json(positioned) + Data([0x0A]))
        }
        try output.close()
    }
}

/// Runs `Scripts/reference/SCRIPT` with python3 and reads the JSON object of numbers it prints.
func reference(_ script: String, _ arguments: [String]) throws -> [String: Double] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", repositoryRoot.appendingPathComponent("Scripts/reference/\(script)").path] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let report = try JSONSerialization.jsonObject(with: output) as? [String: Double] else {
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(script) \(arguments) failed (status \(process.terminationStatus))"])
    }
    return report
}

func projectionBenchmarks() {
    let rate = BenchmarkMetric.custom("events per second", polarity: .prefersLarger, useScalingFactor: false)

    Benchmark("Rebuild tallies + Elo from a 1M-vote log (read, decode, apply)",
              configuration: .init(metrics: [.wallClock, rate], maxIterations: 3), closure: { benchmark in
        let fixture = ProjectionLogFixture.shared
        let log = try EventLog(directory: fixture.directory + "/log", mode: .readOnly)
        var replay = try Replay(names: [Tallies.name, EloRatings.name], from: [Tallies(), EloRatings()])
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        try await replay.run(source: LogEventSource(log), to: log.endPosition) { _ in }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        benchmark.stopMeasurement()
        precondition(replay.position == UInt64(fixture.count))
        blackHole(replay.projectors.map(\.stateHash))
        benchmark.measurement(rate, Int(Double(fixture.count) / seconds))
    }, setup: { try await ProjectionLogFixture.shared.build() })

    // The same Elo loop in the Python reference, over the same events already parsed (its loop only).
    Benchmark("Baseline: Python reference Elo loop over the same events",
              configuration: .init(metrics: [rate], maxIterations: 1), closure: { benchmark in
        let fixture = ProjectionLogFixture.shared
        let report = try reference("elo.py", [fixture.dump, "--time"])
        benchmark.measurement(rate, Int(report["events_per_second"]!))
    }, setup: { try await ProjectionLogFixture.shared.build() })

    Benchmark("Bradley-Terry fit + 100 bootstrap rounds, 1M votes over 10k sets",
              configuration: .init(metrics: [.wallClock], timeUnits: .milliseconds, maxIterations: 3), closure: { benchmark in
        let graph = BradleyTerryFixture.shared.graph
        benchmark.startMeasurement()
        let standings = await BradleyTerry.standings(graph)
        benchmark.stopMeasurement()
        blackHole(standings)
    }, setup: { _ = BradleyTerryFixture.shared.graph })

    Benchmark("Next-pair selection among 10k sets",
              configuration: .init(metrics: [.wallClock], timeUnits: .microseconds, maxDuration: .seconds(10), maxIterations: 200_000),
              closure: { benchmark in
        let (selector, excluded) = PairingFixture.shared.value
        var random = PairingFixture.shared.random
        for _ in benchmark.scaledIterations { blackHole(selector.next(excluding: excluded, using: &random)) }
        PairingFixture.shared.random = random
    }, setup: { _ = PairingFixture.shared.value })
}

/// 1M simulated votes between uniformly random pairs of 10,000 sets with normally spread true strengths.
final class BradleyTerryFixture: @unchecked Sendable {
    static let shared = BradleyTerryFixture()
    lazy var graph: ComparisonGraph = {
        var random = SplitMix64(seed: 5)
        let n = 10_000
        let truth = (0..<n).map { _ in random.normal() }
        var counts = PairCounts<Int>()
        for item in 0..<n { _ = counts.intern(item) }
        for _ in 0..<1_000_000 {
            let a = Int.random(in: 0..<n, using: &random)
            var b = Int.random(in: 0..<(n - 1), using: &random)
            if b >= a { b += 1 }
            let aWins = Double.random(in: 0..<1, using: &random) < 1 / (1 + exp(truth[b] - truth[a]))
            counts.record(winner: Int32(aWins ? a : b), loser: Int32(aWins ? b : a))
        }
        return ComparisonGraph(counts)
    }()
}

/// A selector over 10,000 sets with spread ratings, intervals and genres, and a voter's 64 recent pairs.
final class PairingFixture: @unchecked Sendable {
    static let shared = PairingFixture()
    var random = SplitMix64(seed: 8)
    lazy var value: (PairSelector, [PairKey]) = {
        var random = SplitMix64(seed: 2)
        let candidates = (0..<10_000).map { index in
            PairSelector.Candidate(
                set: SetID(value: UInt128(index + 1) &* 0x9E37_79B9_7F4A_7C15), rating: Double.random(in: 1000...2000, using: &random),
                halfWidth: Double.random(in: 20...300, using: &random), genres: random.next() & 0xFFFFF)
        }
        let votes = Dictionary(uniqueKeysWithValues: (0..<50_000).map { _ in
            (PairKey(candidates.randomElement(using: &random)!.set, candidates.randomElement(using: &random)!.set), Int.random(in: 1...5, using: &random))
        }.map { ($0.0, $0.1) }.reduce(into: [PairKey: Int]()) { $0[$1.0] = $1.1 }.map { ($0.key, $0.value) })
        let selector = PairSelector(candidates: candidates) { a, b in votes[PairKey(a, b)] ?? 0 }
        let excluded = (0..<64).map { _ in PairKey(candidates.randomElement(using: &random)!.set, candidates.randomElement(using: &random)!.set) }
        return (selector, excluded)
    }()
}
