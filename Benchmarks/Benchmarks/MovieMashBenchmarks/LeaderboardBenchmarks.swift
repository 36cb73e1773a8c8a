import Benchmark
import EventLog
import EventStore
import Foundation
import Logging
import MovieMashCore
import Projections
import Synchronization

/// 1M votes between sets of 4 films drawn from 5,000, with true strengths from the team model: each film's
/// log-strength drawn from the film board's prior, a set's the sum of its films'. 40% of votes are between
/// two random sets, 60% between sets near each other in true rank (as a pair selector makes them). The
/// Bradley–Terry counts after 990,000 and after all 1,000,000 votes; and, for the method before films were
/// fitted as teams, the film-pair counts it kept (each film of the winning set beat each different film of
/// the losing set).
final class LeaderboardFixture: @unchecked Sendable {
    static let small = LeaderboardFixture(sets: 1250), large = LeaderboardFixture(sets: 10_000)
    static let votes = 1_000_000, refitVotes = 10_000
    let setCount: Int
    private(set) var filmTruth: [MovieID: Double] = [:], setTruth: [SetID: Double] = [:]

    init(sets: Int) {
        setCount = sets
    }

    var name: String { "\(setCount.formatted()) sets" }

    lazy var events: [EventEnvelope] = {
        var sample = SampleEvents(seed: 41, films: 5000, sets: setCount, voters: 2000)
        var random = SplitMix64(seed: 42)
        let catalogue = sample.catalogueEvents()
        let sigma = BradleyTerry.Configuration().filmPriorDeviation
        let scraped = catalogue.compactMap { event -> Top4SetScraped? in
            if case .top4SetScraped(let scraped) = event.event { return scraped }
            return nil
        }
        for event in catalogue {
            if case .movieCatalogued(let movie) = event.event { filmTruth[movie.movieID] = sigma * random.normal() }
        }
        let sets = scraped.map(\.setID)
        let truth = scraped.map { $0.movieIDs.reduce(0) { $0 + filmTruth[$1]! } }
        setTruth = Dictionary(uniqueKeysWithValues: zip(sets, truth))
        let voters = catalogue.compactMap { event -> UserID? in
            if case .userRegistered(let user) = event.event { return user.userID }
            return nil
        }
        let byTruth = sets.indices.sorted { truth[$0] < truth[$1] }
        let near = max(60, sets.count / 20)
        var clock = SampleEvents.defaultStart.milliseconds
        let votes = (0..<Self.votes).map { _ -> EventEnvelope in
            let rank = Int.random(in: 0..<sets.count, using: &random)
            var other: Int
            repeat {
                other = Double.random(in: 0..<1, using: &random) < 0.4
                    ? Int.random(in: 0..<sets.count, using: &random)
                    : min(sets.count - 1, max(0, rank + Int.random(in: -near...near, using: &random)))
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
        print("leaderboard fixture (\(name)): \(counts.votes) votes, \(counts.sets.items.count) sets with \(counts.sets.pairCount) pairs, \(counts.films.count) films")
        return (before, counts)
    }()

    /// The film-pair counts of the method before films as teams, before and after the last `refitVotes`.
    lazy var filmPairs: (before: PairCounts<MovieID>, after: PairCounts<MovieID>) = {
        var counts = FilmPairCounts()
        var before = counts.films
        for (index, event) in events.enumerated() {
            if index == events.count - Self.refitVotes { before = counts.films }
            counts.apply(event)
        }
        print("before-method film pairs (\(name)): \(counts.films.pairCount)")
        return (before, counts.films)
    }()

    var previous: (sets: Leaderboard<SetID>, films: Leaderboard<MovieID>)?
    var previousPairs: (sets: Leaderboard<SetID>, films: Leaderboard<MovieID>)?

    /// Both leaderboards of `before`, as the refit starts from them.
    func previousFits() async -> (sets: Leaderboard<SetID>, films: Leaderboard<MovieID>) {
        if let previous { return previous }
        let fitted = await fitBoth(counts.before, previous: nil)
        previous = fitted
        return fitted
    }

    /// The same for the method before.
    func previousPairFits() async -> (sets: Leaderboard<SetID>, films: Leaderboard<MovieID>) {
        if let previousPairs { return previousPairs }
        let fitted = await fitBothBefore(counts.before, filmPairs.before, previous: nil)
        previousPairs = fitted
        return fitted
    }
}

/// What the method before films as teams counted: the set pairs, and each film of the winning set beating
/// each different film of the losing set (a vote on a set whose films are unknown counts for the sets only).
struct FilmPairCounts {
    var sets = PairCounts<SetID>(), films = PairCounts<MovieID>()
    private var setFilms: [SetID: [Int32]] = [:]

    mutating func apply(_ event: EventEnvelope) {
        switch event.event {
        case .top4SetScraped(let scraped): setFilms[scraped.setID] = scraped.movieIDs.map { films.intern($0) }
        case .voteCast(let vote):
            sets.record(winner: sets.intern(vote.winningSet), loser: sets.intern(vote.losingSet))
            guard let winning = setFilms[vote.winningSet], let losing = setFilms[vote.losingSet] else { return }
            for w in winning { for l in losing where w != l { films.record(winner: w, loser: l) } }
        default: return
        }
    }
}

/// Sets then films as teams, as `LeaderboardService` fits them.
func fitBoth(
    _ counts: BradleyTerryCounts, previous: (sets: Leaderboard<SetID>, films: Leaderboard<MovieID>)?
) async -> (sets: Leaderboard<SetID>, films: Leaderboard<MovieID>) {
    let sets = await Leaderboard.fit(counts.sets, configuration: counts.configuration, previous: previous?.sets, priority: .normal)
    return (sets, await Leaderboard.fitFilms(counts, sets: sets, previous: previous?.films, priority: .normal))
}

/// The method before films as teams: the set graph and the film-pair graph fitted side by side, each with
/// its own bootstrap.
func fitBothBefore(
    _ counts: BradleyTerryCounts, _ filmPairs: PairCounts<MovieID>, previous: (sets: Leaderboard<SetID>, films: Leaderboard<MovieID>)?
) async -> (sets: Leaderboard<SetID>, films: Leaderboard<MovieID>) {
    async let sets = Leaderboard.fit(counts.sets, configuration: counts.configuration, previous: previous?.sets, priority: .normal)
    async let films = Leaderboard.fit(filmPairs, configuration: counts.configuration, previous: previous?.films, priority: .normal)
    return await (sets, films)
}

/// The share of items whose interval holds the truth (moved by the mean difference: only contrasts are
/// identified), in thousandths, and the median half-width in rating points.
func coverage<Item: Hashable>(_ board: Leaderboard<Item>, truth: [Item: Double], items: [Item]) -> (perMille: Int, halfWidth: Int) {
    let perRating = 400 / log(10.0)
    guard !items.isEmpty else { return (0, 0) }
    let shift = items.reduce(0) { $0 + board[$1]!.theta - truth[$1]! } / Double(items.count)
    let held = items.filter { item in
        let standing = board[item]!, rating = 1500 + (truth[item]! + shift) * perRating
        return standing.lower <= rating && rating <= standing.upper
    }.count
    let widths = items.map { board[$0]!.halfWidth }.sorted()
    return (1000 * held / items.count, Int(widths[widths.count / 2].rounded()))
}

/// Spearman's rank correlation of the board's ratings with the truth over `items`, in thousandths.
func spearman<Item: Hashable>(_ board: Leaderboard<Item>, truth: [Item: Double], items: [Item]) -> Int {
    func ranks(_ values: [Double]) -> [Double] {
        var result = [Double](repeating: 0, count: values.count)
        for (rank, index) in values.indices.sorted(by: { values[$0] < values[$1] }).enumerated() { result[index] = Double(rank) }
        return result
    }
    let a = ranks(items.map { board[$0]!.rating }), b = ranks(items.map { truth[$0]! })
    let n = Double(items.count), mean = (n - 1) / 2
    let covariance = zip(a, b).reduce(0) { $0 + ($1.0 - mean) * ($1.1 - mean) }
    let variance = a.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
    return Int((1000 * covariance / variance).rounded())
}

let fitMetrics: [BenchmarkMetric] = [.wallClock, .custom("fit iterations, sets + films", useScalingFactor: false)]

/// A benchmark of `fixture`'s leaderboards: `fit` measures what `what` says between its start and stop,
/// and returns the fit's iterations.
func fitBenchmark(
    _ fixture: LeaderboardFixture, _ what: String, iterations: Int, setup: @escaping Benchmark.BenchmarkSetupHook,
    fit: @escaping @Sendable (Benchmark) async -> Int
) {
    Benchmark("Leaderboards (\(fixture.name)): \(what)",
              configuration: .init(metrics: fitMetrics, timeUnits: .milliseconds, maxDuration: .seconds(60), maxIterations: iterations),
              closure: { benchmark in benchmark.measurement(fitMetrics[1], await fit(benchmark)) }, setup: setup)
}

func leaderboardBenchmarks() {
    for fixture in [LeaderboardFixture.small, LeaderboardFixture.large] {
        fitBenchmark(fixture, "full fit of both boards, before (film pairs)", iterations: 3, setup: { _ = (fixture.counts, fixture.filmPairs) }) { benchmark in
            let (counts, pairs) = (fixture.counts.after, fixture.filmPairs.after)
            benchmark.startMeasurement()
            let fitted = await fitBothBefore(counts, pairs, previous: nil)
            benchmark.stopMeasurement()
            return fitted.sets.solutions.iterations + fitted.films.solutions.iterations
        }
        fitBenchmark(fixture, "full fit of both boards, after (films as teams)", iterations: 3, setup: { _ = fixture.counts }) { benchmark in
            let counts = fixture.counts.after
            benchmark.startMeasurement()
            let fitted = await fitBoth(counts, previous: nil)
            benchmark.stopMeasurement()
            return fitted.sets.solutions.iterations + fitted.films.solutions.iterations
        }
        // Where an after refit's time goes: the set board (with its bootstrap) and the film board from it.
        fitBenchmark(fixture, "refit after 10,000 more votes, after, the set board alone", iterations: 5,
                     setup: { _ = await fixture.previousFits() }) { benchmark in
            let counts = fixture.counts.after
            let previous = await fixture.previousFits()
            benchmark.startMeasurement()
            let sets = await Leaderboard.fit(counts.sets, configuration: counts.configuration, previous: previous.sets, priority: .normal)
            benchmark.stopMeasurement()
            return sets.solutions.iterations
        }
        fitBenchmark(fixture, "refit after 10,000 more votes, after, the film board alone", iterations: 5,
                     setup: { _ = await fixture.previousFits() }) { benchmark in
            let counts = fixture.counts.after
            let previous = await fixture.previousFits()
            let sets = await Leaderboard.fit(counts.sets, configuration: counts.configuration, previous: previous.sets, priority: .normal)
            benchmark.startMeasurement()
            let films = await Leaderboard.fitFilms(counts, sets: sets, previous: previous.films, priority: .normal)
            benchmark.stopMeasurement()
            return films.solutions.iterations
        }
        fitBenchmark(fixture, "refit after 10,000 more votes, before (film pairs)", iterations: 5,
                     setup: { _ = await fixture.previousPairFits() }) { benchmark in
            let (counts, pairs) = (fixture.counts.after, fixture.filmPairs.after)
            let previous = await fixture.previousPairFits()
            benchmark.startMeasurement()
            let fitted = await fitBothBefore(counts, pairs, previous: previous)
            benchmark.stopMeasurement()
            return fitted.sets.solutions.iterations + fitted.films.solutions.iterations
        }
        fitBenchmark(fixture, "refit after 10,000 more votes, after (films as teams)", iterations: 5,
                     setup: { _ = await fixture.previousFits() }) { benchmark in
            let counts = fixture.counts.after
            let previous = await fixture.previousFits()
            benchmark.startMeasurement()
            let fitted = await fitBoth(counts, previous: previous)
            benchmark.stopMeasurement()
            return fitted.sets.solutions.iterations + fitted.films.solutions.iterations
        }

        let memoryMetrics: [BenchmarkMetric] = [
            .custom("counts' resident memory (MB), before (film pairs)", useScalingFactor: false),
            .custom("counts' resident memory (MB), after (films as teams)", useScalingFactor: false),
        ]
        Benchmark("Leaderboards (\(fixture.name)): resident memory the counts of 1M votes add",
                  configuration: .init(metrics: memoryMetrics, maxIterations: 1), closure: { benchmark in
            // Each counted from nothing, both kept alive to the end, so neither reuses what the other freed.
            let events = fixture.events
            var start = residentBytes()
            var counts = BradleyTerryCounts()
            for event in events { counts.apply(event) }
            benchmark.measurement(memoryMetrics[1], (residentBytes() - start) >> 20)
            start = residentBytes()
            var pairs = FilmPairCounts()
            for event in events { pairs.apply(event) }
            benchmark.measurement(memoryMetrics[0], (residentBytes() - start) >> 20)
            blackHole((counts, pairs))
        }, setup: { _ = fixture.events })

        let calibrationMetrics: [BenchmarkMetric] = [
            .custom("sets: intervals holding the truth (‰)", polarity: .prefersLarger, useScalingFactor: false),
            .custom("sets: median half-width (points)", useScalingFactor: false),
            .custom("films in 1 set: intervals holding the truth (‰)", polarity: .prefersLarger, useScalingFactor: false),
            .custom("films in 2-4 sets: intervals holding the truth (‰)", polarity: .prefersLarger, useScalingFactor: false),
            .custom("films in 5+ sets: intervals holding the truth (‰)", polarity: .prefersLarger, useScalingFactor: false),
            .custom("films: median half-width (points)", useScalingFactor: false),
            .custom("films: Spearman with the truth (‰)", polarity: .prefersLarger, useScalingFactor: false),
            .custom("films before (film pairs): intervals holding the truth (‰)", polarity: .prefersLarger, useScalingFactor: false),
            .custom("films before (film pairs): Spearman with the truth (‰)", polarity: .prefersLarger, useScalingFactor: false),
        ]
        Benchmark("Leaderboards (\(fixture.name)): calibration against the true strengths",
                  configuration: .init(metrics: calibrationMetrics, maxIterations: 1), closure: { benchmark in
            let counts = fixture.counts.after
            let (sets, films) = await fitBoth(counts, previous: nil)
            let before = await fitBothBefore(counts, fixture.filmPairs.after, previous: nil)
            var setsPerFilm: [MovieID: Int] = [:]
            for set in 0..<counts.sets.items.count where sets[counts.sets.items[set]]!.comparisons > 0 {
                for slot in 0..<4 { setsPerFilm[counts.films[Int(counts.setFilms[4 * set + slot])], default: 0] += 1 }
            }
            let voted = Array(setsPerFilm.keys)
            let setItems = counts.sets.items.filter { sets[$0]!.comparisons > 0 }
            let setCoverage = coverage(sets, truth: fixture.setTruth, items: Array(setItems))
            benchmark.measurement(calibrationMetrics[0], setCoverage.perMille)
            benchmark.measurement(calibrationMetrics[1], setCoverage.halfWidth)
            for (metric, range) in [(2, 1...1), (3, 2...4), (4, 5...Int.max)] {
                benchmark.measurement(calibrationMetrics[metric], coverage(films, truth: fixture.filmTruth, items: voted.filter { range.contains(setsPerFilm[$0]!) }).perMille)
            }
            benchmark.measurement(calibrationMetrics[5], coverage(films, truth: fixture.filmTruth, items: voted).halfWidth)
            benchmark.measurement(calibrationMetrics[6], spearman(films, truth: fixture.filmTruth, items: voted))
            benchmark.measurement(calibrationMetrics[7], coverage(before.films, truth: fixture.filmTruth, items: voted).perMille)
            benchmark.measurement(calibrationMetrics[8], spearman(before.films, truth: fixture.filmTruth, items: voted))
        }, setup: { _ = (fixture.counts, fixture.filmPairs) })
    }

    let lagMetrics: [BenchmarkMetric] = [
        .custom("largest lag behind the log (ms)", useScalingFactor: false),
        .custom("median lag behind the log (ms)", useScalingFactor: false),
        .custom("refits published", polarity: .prefersLarger, useScalingFactor: false),
        .custom("votes appended per second", polarity: .prefersLarger, useScalingFactor: false),
    ]
    let fixture = LeaderboardFixture.small
    // The service's default pacing (fits take at most a tenth of the machine, and start at most every 30 s
    // while votes arrive at 1,000/s), and a pacing for freshness (a third of the machine, every 3 s).
    for (pacing, idleFactor, busyInterval) in [("default pacing", 9, Duration.seconds(30)), ("fresh pacing", 2, Duration.seconds(3))] {
        Benchmark("Leaderboards (\(fixture.name)): lag of the served fit while 1,000 votes/s are appended to the 1M-vote log (60 s), \(pacing)",
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
            let leaderboards = LeaderboardService(source: counts, idleFactor: idleFactor, busyInterval: busyInterval, logger: quietLogger)
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
}
