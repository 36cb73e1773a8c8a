import Benchmark
import EventLog
import Foundation
import Logging
import MovieMashCore
import PostgresMirror
import PostgresNIO

/// The server the mirror benchmarks write to: `MOVIEMASH_BENCH_POSTGRES_URL` (an administrator URL; each
/// run creates and drops its own databases). Without it they are skipped.
let benchmarkServer = ProcessInfo.processInfo.environment["MOVIEMASH_BENCH_POSTGRES_URL"]
let quietLogger = Logger(label: "moviemash.bench") { _ in SwiftLogNoOpLogHandler() }

/// Creates an empty database on the benchmark server and returns its URL.
func freshDatabase() async throws -> PostgresURL {
    let admin = try PostgresURL(benchmarkServer!)
    let name = "mm_bench_" + UUID().uuidString.prefix(8).lowercased()
    let connection = try await PostgresConnection.connect(configuration: admin.configuration, id: 1, logger: quietLogger)
    try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: quietLogger)
    try await connection.close()
    var components = URLComponents(string: benchmarkServer!)!
    components.path = "/" + name
    return try PostgresURL(components.string!)
}

func mirrorBenchmarks() {
    let skip = benchmarkServer == nil
    let rate = BenchmarkMetric.custom("events per second", polarity: .prefersLarger, useScalingFactor: false)

    Benchmark("Mirror backfill of 1M votes into an empty table",
              configuration: .init(metrics: [.wallClock, rate], maxIterations: 3, skip: skip), closure: { benchmark in
        let url = try await freshDatabase()
        let log = try EventLog(directory: VoteLogFixture.shared.directory, mode: .readOnly)
        var configuration = PostgresMirror.Configuration()
        configuration.follow = false
        let mirror = PostgresMirror(log: log, url: url, configuration: configuration, logger: quietLogger)
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        try await mirror.run()
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        benchmark.stopMeasurement()
        precondition(mirror.status.nextPosition == UInt64(VoteLogFixture.shared.count), "backfill stopped early")
        benchmark.measurement(rate, Int(Double(VoteLogFixture.shared.count) / seconds))
    }, setup: { try await VoteLogFixture.shared.build() })

    // The naive mirror, as a baseline: one INSERT per event, autocommit, one connection (50k events).
    Benchmark("Baseline: naive mirror, one INSERT per event",
              configuration: .init(metrics: [.wallClock, rate], maxIterations: 1, skip: skip), closure: { benchmark in
        let url = try await freshDatabase()
        try await Migrator.migrate(url, logger: quietLogger)
        let log = try EventLog(directory: VoteLogFixture.shared.directory, mode: .readOnly)
        let records = try log.read(from: 0, limit: 50_000)
        let connection = try await PostgresConnection.connect(configuration: url.configuration, id: 1, logger: quietLogger)
        benchmark.startMeasurement()
        let start = ContinuousClock.now
        for stored in records {
            let envelope = try EventCodec.decode(
                stored.record.payload, eventID: stored.record.id,
                occurredAt: Timestamp(milliseconds: stored.record.timestamp), position: stored.position)
            let payload = String(decoding: EventCodec.payloadJSON(envelope.event), as: UTF8.self)
            try await connection.query("""
                INSERT INTO events (position, event_id, type, schema_version, occurred_at, payload)
                VALUES (\(Int64(stored.position)), \(envelope.eventID), \(envelope.type.rawValue),
                        \(envelope.schemaVersion), \(envelope.occurredAt.description)::timestamptz, \(payload)::jsonb)
                """, logger: quietLogger)
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        benchmark.stopMeasurement()
        try await connection.close()
        benchmark.measurement(rate, Int(Double(records.count) / seconds))
    }, setup: { try await VoteLogFixture.shared.build() })

    let lagMetrics: [BenchmarkMetric] = [
        .custom("max lag (ms)", useScalingFactor: false),
        .custom("p99 lag (ms)", useScalingFactor: false),
        .custom("votes appended per second", polarity: .prefersLarger, useScalingFactor: false),
    ]
    Benchmark("Mirror lag while 10k votes/s are appended (fsync always, 10 s)",
              configuration: .init(metrics: lagMetrics, maxIterations: 1, skip: skip), closure: { benchmark in
        let url = try await freshDatabase()
        let directory = temporaryDirectory("moviemash-lag")
        let log = try EventLog(directory: directory)
        let mirror = PostgresMirror(log: log, url: url, logger: quietLogger)
        let running = Task { try await mirror.run() }
        let votes = voteRecords(100_000, seed: 33)
        let start = ContinuousClock.now
        let sampler = Task {
            var lags: [Double] = []
            while !Task.isCancelled {
                lags.append(mirror.status.lagSeconds * 1000)
                try? await Task.sleep(for: .milliseconds(10))
            }
            return lags
        }
        // 100 votes every 10 ms from 16 appenders; a late tick catches up, so the rate holds on average.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for tick in 0..<1000 {
                let due = start + .milliseconds(10 * tick)
                if due > ContinuousClock.now { try await Task.sleep(until: due) }
                group.addTask {
                    for record in votes[(tick * 100)..<(tick * 100 + 100)] { _ = try await log.append(record) }
                }
            }
            try await group.waitForAll()
        }
        let appendSeconds = (ContinuousClock.now - start) / .seconds(1)
        while mirror.status.nextPosition < log.endPosition { try await Task.sleep(for: .milliseconds(5)) }
        sampler.cancel()
        let lags = await sampler.value.sorted()
        running.cancel()
        try await running.value
        try await log.close()
        benchmark.measurement(lagMetrics[0], Int(lags.last ?? 0))
        benchmark.measurement(lagMetrics[1], Int(lags[min(lags.count - 1, lags.count * 99 / 100)]))
        benchmark.measurement(lagMetrics[2], Int(Double(votes.count) / appendSeconds))
    })
}
