import Benchmark
import ByteCoding
import EventLog
import EventStore
import Foundation
import MovieMashCore
import Projections
import Synchronization

/// Realistic vote events: random UUIDs, set ids of a 200-set catalogue, timestamps a few hundred ms apart.
func voteRecords(_ count: Int, seed: UInt64) -> [LogRecord] {
    var sample = SampleEvents(seed: seed)
    return (0..<count).map { _ in
        let vote = sample.nextVote()
        return LogRecord(
            id: vote.eventID, timestamp: vote.occurredAt.milliseconds,
            payload: EventCodec.encode(vote.event, occurredAt: vote.occurredAt))
    }
}

func temporaryDirectory(_ label: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    temporaryDirectories.withLock { folders in
        // Benchmarks make their folders as they are declared, filtered out or not: all go when the process ends.
        if folders.isEmpty { atexit { for folder in temporaryDirectories.withLock({ $0 }) { try? FileManager.default.removeItem(atPath: folder) } } }
        folders.append(path)
    }
    return path
}

/// The folders `temporaryDirectory` made in this process.
let temporaryDirectories = Mutex<[String]>([])

/// Runs `executable` to completion with its output discarded; throws if it fails.
func run(_ executable: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "\(executable) \(arguments) exited with \(process.terminationStatus)"])
    }
}

/// A log of one million votes in batches of 64 (what 64 concurrent durable appenders produce), built once
/// and shared by the replay, size, open and mirror benchmarks.
final class VoteLogFixture: @unchecked Sendable {
    static let shared = VoteLogFixture()
    let count = 1_000_000
    let directory = temporaryDirectory("moviemash-replay")
    private(set) var records: [LogRecord] = []
    private var built = false

    func build() async throws {
        guard !built else { return }
        built = true
        records = voteRecords(count, seed: 11)
        var configuration = EventLog.Configuration()
        configuration.fsync = .never
        let log = try EventLog(directory: directory, configuration: configuration)
        for start in stride(from: 0, to: count, by: 64) {
            _ = try await log.append(contentsOf: Array(records[start..<min(start + 64, count)]))
        }
        try await log.close()
    }

    var segmentBytes: Int64 {
        (try? FileManager.default.contentsOfDirectory(atPath: directory))?.filter { $0.hasSuffix(".log") }
            .reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: "\(directory)/\($1)")[.size] as? Int64) ?? 0) } ?? 0
    }
}

/// The resident set size of this process, from /proc/self/status.
func residentBytes() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput], timeUnits: .milliseconds, warmupIterations: 0,
        maxDuration: .seconds(20), maxIterations: 5)
    eventLogBenchmarks()
    mirrorBenchmarks()
    projectionBenchmarks()
    leaderboardBenchmarks()
    recommenderBenchmarks()
}

/// The CRC benchmarks' input, made on first use (globals are lazy) so other benchmarks do not pay for it.
let crcBytes = (0..<(64 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }

func eventLogBenchmarks() {
    // CRC-32C over 64 MiB, by each implementation this processor has.
    let crcMetric = BenchmarkMetric.custom("MB per second", polarity: .prefersLarger, useScalingFactor: false)
    for implementation in CRC32C.Implementation.allCases where implementation == .table || CRC32C.implementation == .hardware {
        Benchmark("CRC-32C, \(implementation), 64 MiB", configuration: .init(metrics: [.wallClock, crcMetric])) { benchmark in
            let start = ContinuousClock.now
            let crc = crcBytes.withUnsafeBytes { CRC32C.checksum($0, using: implementation) }
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            blackHole(crc)
            benchmark.measurement(crcMetric, Int(Double(crcBytes.count) / seconds / 1e6))
        }
    }

    for appenders in [1, 16, 64] {
        let directory = temporaryDirectory("moviemash-append")
        let log = try! EventLog(directory: directory)
        var round: UInt64 = 0
        // Each iteration appends 1000 votes (scaling factor kilo): throughput is in thousands of votes per second.
        Benchmark("Durable append, fsync always, \(appenders) appenders",
                  configuration: .init(scalingFactor: .kilo)) { benchmark in
            round += 1
            let records = voteRecords(benchmark.scaledIterations.count, seed: UInt64(appenders) * 1000 + round)
            benchmark.startMeasurement()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<appenders {
                    group.addTask {
                        for index in stride(from: lane, to: records.count, by: appenders) {
                            _ = try await log.append(records[index])
                        }
                    }
                }
                try await group.waitForAll()
            }
            benchmark.stopMeasurement()
        }
    }

    let replayMetrics: [BenchmarkMetric] = [
        .wallClock,
        .custom("events per second", polarity: .prefersLarger, useScalingFactor: false),
        .custom("MB per second of segment", polarity: .prefersLarger, useScalingFactor: false),
    ]
    Benchmark("Replay: read and decode every event from position 0",
              configuration: .init(metrics: replayMetrics), closure: { benchmark in
        let fixture = VoteLogFixture.shared
        let log = try EventLog(directory: fixture.directory, mode: .readOnly)
        // What a projector's follower does: chunks of events from the log's EventSource.
        let source = LogEventSource(log), chunk = EventFollower.Configuration().chunk
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        var votes = 0, position: UInt64 = 0
        while true {
            let events = try source.events(from: position, limit: chunk)
            for envelope in events where envelope.type == .voteCast { votes += 1 }
            position += UInt64(events.count)
            if events.count < chunk { break }
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        benchmark.stopMeasurement()
        precondition(votes == fixture.count, "replay saw \(votes) votes")
        benchmark.measurement(replayMetrics[1], Int(Double(fixture.count) / seconds))
        benchmark.measurement(replayMetrics[2], Int(Double(fixture.segmentBytes) / seconds / 1e6))
    }, setup: { try await VoteLogFixture.shared.build() })

    // The baseline for replay: the lz4 command-line tool decompressing the same segment bytes.
    let lz4Path = temporaryDirectory("moviemash-lz4") + "/segments.lz4"
    Benchmark("Baseline: lz4 -d of the same segment bytes",
              configuration: .init(metrics: [.wallClock, replayMetrics[2]]), closure: { benchmark in
        let fixture = VoteLogFixture.shared
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        try run("/usr/bin/lz4", ["-d", "-c", "-q", lz4Path])
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        benchmark.stopMeasurement()
        benchmark.measurement(replayMetrics[2], Int(Double(fixture.segmentBytes) / seconds / 1e6))
    }, setup: {
        let fixture = VoteLogFixture.shared
        try await fixture.build()
        let segments = try FileManager.default.contentsOfDirectory(atPath: fixture.directory).filter { $0.hasSuffix(".log") }.sorted()
        let joined = URL(fileURLWithPath: lz4Path + ".raw")
        _ = FileManager.default.createFile(atPath: joined.path, contents: nil)
        let handle = try FileHandle(forWritingTo: joined)
        for segment in segments { handle.write(try Data(contentsOf: URL(fileURLWithPath: "\(fixture.directory)/\(segment)"))) }
        try handle.close()
        try run("/usr/bin/lz4", ["-1", "-q", "-f", joined.path, lz4Path])
    })

    let sizeMetrics: [BenchmarkMetric] = [
        .custom("log bytes per 1000 votes", useScalingFactor: false),
        .custom("JSON lines bytes per 1000 votes", useScalingFactor: false),
        .custom("lz4 -1 of JSON lines bytes per 1000 votes", useScalingFactor: false),
        .custom("log size, percent of JSON lines", useScalingFactor: false),
        .custom("log size, percent of lz4 -1 JSON lines", useScalingFactor: false),
    ]
    Benchmark("Size: votes on disk vs JSON lines vs lz4 -1 JSON lines",
              configuration: .init(metrics: sizeMetrics, maxIterations: 1), closure: { benchmark in
        let fixture = VoteLogFixture.shared
        let folder = temporaryDirectory("moviemash-size")
        let jsonPath = folder + "/votes.jsonl"
        _ = FileManager.default.createFile(atPath: jsonPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: jsonPath))
        let log = try EventLog(directory: fixture.directory, mode: .readOnly)
        let reader = log.reader()
        var chunk = Data()
        while let stored = try reader.next() {
            let envelope = try EventCodec.decode(
                stored.record.payload, eventID: stored.record.id,
                occurredAt: Timestamp(milliseconds: stored.record.timestamp), position: stored.position)
            chunk.append(EventCodec.json(envelope))
            chunk.append(0x0A)
            if chunk.count > 1 << 20 { handle.write(chunk); chunk.removeAll(keepingCapacity: true) }
        }
        handle.write(chunk)
        try handle.close()
        try run("/usr/bin/lz4", ["-1", "-q", "-f", jsonPath, jsonPath + ".lz4"])
        let size = { (path: String) in (try FileManager.default.attributesOfItem(atPath: path)[.size] as! NSNumber).doubleValue }
        let logBytes = Double(fixture.segmentBytes), json = try size(jsonPath), lz4 = try size(jsonPath + ".lz4")
        let perThousand = { (bytes: Double) in Int(bytes / Double(fixture.count) * 1000) }
        benchmark.measurement(sizeMetrics[0], perThousand(logBytes))
        benchmark.measurement(sizeMetrics[1], perThousand(json))
        benchmark.measurement(sizeMetrics[2], perThousand(lz4))
        benchmark.measurement(sizeMetrics[3], Int(logBytes / json * 100))
        benchmark.measurement(sizeMetrics[4], Int(logBytes / lz4 * 100))
        try FileManager.default.removeItem(atPath: folder)
    }, setup: { try await VoteLogFixture.shared.build() })

    let openMetrics: [BenchmarkMetric] = [
        .wallClock,
        .custom("id index bytes per 1000 records", useScalingFactor: false),
        .custom("resident memory growth bytes per 1000 records", useScalingFactor: false),
    ]
    Benchmark("Open: rebuild the id index of 1M votes",
              configuration: .init(metrics: openMetrics, maxIterations: 3), closure: { benchmark in
        let fixture = VoteLogFixture.shared
        let before = residentBytes()
        benchmark.startMeasurement()
        let log = try EventLog(directory: fixture.directory)
        benchmark.stopMeasurement()
        let growth = residentBytes() - before
        benchmark.measurement(openMetrics[1], await log.idIndexBytes * 1000 / fixture.count)
        benchmark.measurement(openMetrics[2], growth * 1000 / fixture.count)
        try await log.close()
    }, setup: { try await VoteLogFixture.shared.build() })
}
