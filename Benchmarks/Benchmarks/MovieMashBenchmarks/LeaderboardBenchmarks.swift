import Benchmark
import EventLog
import EventStore
import Foundation
import Logging
import MovieMashCore
import Projections
import Synchronization

/// 1M votes between 1,250 sets of 4 films drawn from 5,000, with true strengths: 40% between two random
/// sets, 60% between sets near each other in true rank (as a pair selector makes them), about 340,000
/// distinct pairs of sets. The Bradley–Terry counts after 990,000 and after all 1,000,000 votes.
final class LeaderboardFixture: @unchecked Sendable {
    static let shared = LeaderboardFixture()
    static let votes = 1_000_000, refitVotes = 10_000

    lazy var events: [EventEnvelope] = {
        var sample = SampleEvents(seed: 41, films: 5000, sets: 1250, voters: 2000)
        var random = SplitMix64(seed: 42)
        let catalogue = sample.catalogueEvents()
        let sets = catalogue.compactMap { event -> SetID? in
            if case .top4SetScraped(let scraped) = event.event { return scraped.setID }
            return nil
        }
        let voters = catalogue.compactMap { event -> UserID? in
            if case .userRegistered(let user) = event.event { return user.userID }
            return nil
        }
        let truth = sets.map { _ in Double.random(in: -1.5...1.5, using: &random) }
        let byTruth = sets.indices.sorted { truth[$0] < truth[$1] }
        var clock = SampleEvents.defaultStart.milliseconds
        let votes = (0..<Self.votes).map { _ -> EventEnvelope in
            let rank = Int.random(in: 0..<sets.count, using: &random)
            var other: Int
            repeat {
                other = Double.random(in: 0..<1, using: &random) < 0.4
                    ? Int.random(in: 0..<sets.count, using: &random)
                    : min(sets.count - 1, max(0, rank + Int.random(in: -60...60, using: &random)))
            } while other == rank
            let a = byTruth[rank], b = byTruth[other]
            let aWins = Double.random(in: 0..<1, using: &random) < 1 / (1 + exp(truth[b] - truth[a]))
            clock += 3
            let vote = try! VoteCast(
                voteID: random.uuid(), userID: voters.randomElement(using: &random)!, setA: sets[a], setB: sets[b],
                winner: aWins ? .setA : .setB, ticketID: random.uuid(), castAt: Timestamp(milliseconds: clock))
            return EventEnvelope(eventID: random.uuid(), occurredAt: Timestamp(milliseconds: clock), event: .voteCast(vote))
        }
        return catalogue + votes
    }()

    /// The counts before the last `refitVotes` votes, and after all of them.
    lazy var counts: (before: BradleyTerryCounts, after: BradleyTerryCounts) = {
        var counts = BradleyTerryCounts()
        for event in events.dropLast(Self.refitVotes) { counts.apply(event) }
        let before = counts
        for event in events.suffix(Self.refitVotes) { counts.apply(event) }
        print("leaderboard fixture: \(counts.votes) votes, \(counts.sets.items.count) sets with \(counts.sets.pairCount) pairs, \(counts.films.items.count) films with \(counts.films.pairCount) pairs")
        return (before, counts)
    }()

    /// Both leaderboards of `before`, as the refit starts from them.
    var previous: (sets: Leaderboard<SetID>, films: Leaderboard<MovieID>)?

    func previousFits() async -> (sets: Leaderboard<SetID>, films: Leaderboard<MovieID>) {
        if let previous { return previous }
        let before = counts.before
        let fitted = await fitBoth(before, previous: nil)
        previous = fitted
        return fitted
    }
}

/// Sets and films fitted side by side, as `LeaderboardService` fits them.
func fitBoth(
    _ counts: BradleyTerryCounts, previous: (sets: Leaderboard<SetID>, films: Leaderboard<MovieID>)?
) async -> (sets: Leaderboard<SetID>, films: Leaderboard<MovieID>) {
    async let sets = Leaderboard.fit(counts.sets, configuration: counts.configuration, previous: previous?.sets, priority: .normal)
    async let films = Leaderboard.fit(counts.films, configuration: counts.configuration, previous: previous?.films, priority: .normal)
    return await (sets, films)
}

func leaderboardBenchmarks() {
    let fixture = LeaderboardFixture.shared
    let fitMetrics: [BenchmarkMetric] = [.wallClock, .custom("fit iterations, sets + films", useScalingFactor: false)]
    Benchmark("Leaderboards: full fit of sets and films, 1M votes (1,250 sets, 5,000 films), 100 bootstrap rounds",
              configuration: .init(metrics: fitMetrics, timeUnits: .milliseconds, maxDuration: .seconds(60), maxIterations: 3),
              closure: { benchmark in
        let counts = fixture.counts.after
        benchmark.startMeasurement()
        let fitted = await fitBoth(counts, previous: nil)
        benchmark.stopMeasurement()
        benchmark.measurement(fitMetrics[1], fitted.sets.solutions.iterations + fitted.films.solutions.iterations)
    }, setup: { _ = fixture.counts })

    Benchmark("Leaderboards: refit after 10,000 more votes, from the previous fit",
              configuration: .init(metrics: fitMetrics, timeUnits: .milliseconds, maxDuration: .seconds(60), maxIterations: 5),
              closure: { benchmark in
        let counts = fixture.counts.after
        let previous = await fixture.previousFits()
        benchmark.startMeasurement()
        let fitted = await fitBoth(counts, previous: previous)
        benchmark.stopMeasurement()
        benchmark.measurement(fitMetrics[1], fitted.sets.solutions.iterations + fitted.films.solutions.iterations)
    }, setup: { _ = await fixture.previousFits() })

    // Where a refit's time goes: the film graph has about ten times the set graph's pairs.
    Benchmark("Leaderboards: refit after 10,000 more votes, sets only",
              configuration: .init(metrics: fitMetrics, timeUnits: .milliseconds, maxDuration: .seconds(60), maxIterations: 5),
              closure: { benchmark in
        let counts = fixture.counts.after
        let previous = await fixture.previousFits()
        benchmark.startMeasurement()
        let fitted = await Leaderboard.fit(counts.sets, configuration: counts.configuration, previous: previous.sets, priority: .normal)
        benchmark.stopMeasurement()
        benchmark.measurement(fitMetrics[1], fitted.solutions.iterations)
    }, setup: { _ = await fixture.previousFits() })

    let lagMetrics: [BenchmarkMetric] = [
        .custom("largest lag behind the log (ms)", useScalingFactor: false),
        .custom("median lag behind the log (ms)", useScalingFactor: false),
        .custom("refits published", polarity: .prefersLarger, useScalingFactor: false),
        .custom("votes appended per second", polarity: .prefersLarger, useScalingFactor: false),
    ]
    Benchmark("Leaderboards: lag of the served fit while 1,000 votes/s are appended to the 1M-vote log (60 s)",
              configuration: .init(metrics: lagMetrics, maxIterations: 1), closure: { benchmark in
        let directory = temporaryDirectory("moviemash-leaderboard-lag")
        var logConfiguration = EventLog.Configuration()
        logConfiguration.fsync = .never
        let log = try EventLog(directory: directory, configuration: logConfiguration)
        let events = fixture.events
        let initial = events.count - 60_000
        for start in stride(from: 0, to: initial, by: 4096) {
            _ = try await log.append(contentsOf: events[start..<min(start + 4096, initial)].map(LogRecord.init))
        }
        let counts = ProjectorService(BradleyTerryCounts(), source: LogEventSource(log), snapshots: nil, logger: quietLogger)
        let leaderboards = LeaderboardService(source: counts, logger: quietLogger)
        let services = [Task { try await counts.run() }, Task { try await leaderboards.run() }]
        while leaderboards.current.position < UInt64(initial) { try await Task.sleep(for: .milliseconds(20)) }
        // When each tick's first event was appended: the lag of a fit is the age of the oldest event it lacks.
        let appended = Mutex<[(position: UInt64, at: ContinuousClock.Instant)]>([])
        let start = ContinuousClock.now
        let sampler = Task {
            var lags: [Double] = [], fits = Set<UInt64>()
            while !Task.isCancelled {
                let fit = leaderboards.current.position
                fits.insert(fit)
                let oldest = appended.withLock { ticks in ticks.first { $0.position + 10 > fit } }
                lags.append(oldest.map { ($0.at.duration(to: .now)) / .milliseconds(1) } ?? 0)
                try? await Task.sleep(for: .milliseconds(20))
            }
            return (lags, fits.count - 1)
        }
        // 10 votes every 10 ms; a late tick catches up, so the rate holds on average.
        for tick in 0..<6000 {
            let due = start + .milliseconds(10 * tick)
            if due > ContinuousClock.now { try await Task.sleep(until: due) }
            let first = initial + 10 * tick
            let position = try await log.append(contentsOf: events[first..<(first + 10)].map(LogRecord.init))[0]
            appended.withLock { $0.append((UInt64(position), .now)) }
        }
        let appendSeconds = (ContinuousClock.now - start) / .seconds(1)
        while leaderboards.current.position < log.endPosition { try await Task.sleep(for: .milliseconds(20)) }
        sampler.cancel()
        let (lags, refits) = await sampler.value
        for service in services { service.cancel() }
        for service in services { try? await service.value }
        try await log.close()
        try? FileManager.default.removeItem(atPath: directory)
        let sorted = lags.sorted()
        benchmark.measurement(lagMetrics[0], Int(sorted.last ?? 0))
        benchmark.measurement(lagMetrics[1], Int(sorted[sorted.count / 2]))
        benchmark.measurement(lagMetrics[2], refits)
        benchmark.measurement(lagMetrics[3], Int(60_000 / appendSeconds))
    }, setup: { _ = fixture.events })
}
