import EventStore
import MovieMashServer
import EventLog
import Foundation
import Logging
import MovieMashCore
@testable import Projections
import Recommender
import Testing
import TestSupport

@Suite struct RecommenderServiceTests {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static func configuration(retrainEvery: Int) -> RecommenderService.Configuration {
        var configuration = RecommenderService.Configuration()
        configuration.model.factors = 16
        configuration.model.iterations = 4
        configuration.retrainEvery = retrainEvery
        configuration.minimumRetrainGap = .zero
        // The whole suite runs at once and keeps every core busy: an idle-priority retrain would wait for it.
        configuration.retrainPriority = .normal
        return configuration
    }

    /// Trainings by count and by age at the source's end; behind it (catching up) none, not even the
    /// first, unless the model has gone unrefreshed for the whole interval. Instants are made by hand.
    @Test func trainingsWaitForTheSourcesEnd() {
        var configuration = RecommenderService.Configuration()
        configuration.retrainEvery = 100
        configuration.minimumRetrainGap = .seconds(30)
        configuration.retrainInterval = .seconds(300)
        let start = ContinuousClock.now
        func due(_ since: Int, last: Duration?, at: Duration, caughtUp: Bool) -> Bool {
            RecommenderService.trainingDue(
                sinceTraining: since, lastTraining: last.map { start.advanced(by: $0) }, now: start.advanced(by: at),
                caughtUp: caughtUp, configuration: configuration)
        }
        #expect(!due(0, last: nil, at: .zero, caughtUp: true), "no data")
        #expect(due(1, last: nil, at: .zero, caughtUp: true), "the first model as soon as there is data at the end")
        #expect(!due(50_000, last: nil, at: .zero, caughtUp: false), "not the first while catching up")
        #expect(!due(99, last: .zero, at: .seconds(31), caughtUp: true))
        #expect(due(100, last: .zero, at: .seconds(31), caughtUp: true), "by count")
        #expect(!due(100, last: .zero, at: .seconds(29), caughtUp: true), "not within the gap")
        #expect(!due(100_000, last: .zero, at: .seconds(299), caughtUp: false), "not by count while catching up")
        #expect(due(1, last: .zero, at: .seconds(300), caughtUp: true), "by age")
        #expect(due(1, last: .zero, at: .seconds(300), caughtUp: false), "by age even while catching up")
    }

    @Test func coldStartFallsBackToTheGivenRankingThenPopularity() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let events = sampleEvents(votes: 200)
        let log = try await writeLog(events, to: directory.file("log"))
        let favourite = try MovieID("not-in-the-catalogue")
        let service = RecommenderService(configuration: Self.configuration(retrainEvery: 1_000_000), logger: logger, fallback: { [favourite] })
        let runtime = ProjectionRuntime(source: LogEventSource(log), cells: ProjectionCell(Tallies()), recommender: service, snapshots: nil, logger: logger)
        let running = Task { try await runtime.run() }
        #expect(try await eventually { service.positions.events == UInt64(events.count) })
        let stranger = RecommenderInteractions.Person.voter(UUID())
        let coldStart = service.recommendations(for: stranger, count: 5)
        #expect(coldStart.first?.reason == .topRated && coldStart.dropFirst().allSatisfy { $0.reason == .popular })
        let cold = coldStart.map(\.film)
        #expect(cold.count == 5 && cold.first == favourite)
        let interactions = service.current.interactions
        var popularity: [MovieID: Int] = [:]
        for row in interactions.matrix.rows { for cell in row { popularity[interactions.films[Int(cell.column)], default: 0] += 1 } }
        #expect(cold.dropFirst().allSatisfy { popularity[$0, default: 0] >= popularity.values.sorted().reversed()[5] })
        running.cancel()
        try await running.value
        try await log.close()
    }

    @Test func eachVoteIsFoldedInAtOnceAndRetrainingSwapsTheModel() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let events = sampleEvents(votes: 1500)
        let log = try await writeLog(Array(events.prefix(1200)), to: directory.file("log"))
        let service = RecommenderService(configuration: Self.configuration(retrainEvery: 500), logger: logger)
        let runtime = ProjectionRuntime(source: LogEventSource(log), cells: ProjectionCell(Tallies()), recommender: service, snapshots: nil, logger: logger)
        let running = Task { try await runtime.run() }
        #expect(try await eventually(timeout: .seconds(60)) { service.current.model != nil && service.positions.events == 1200 })
        let firstTraining = service.positions.model

        // A new voter's first vote: folded in against the current model before any retrain.
        let voter = UUID()
        let set = try #require(events.compactMap { if case .top4SetScraped(let set) = $0.event { set } else { nil } }.first)
        let other = try #require(events.compactMap { if case .top4SetScraped(let set) = $0.event { set } else { nil } }.last)
        let vote = try VoteCast(
            voteID: UUID(), userID: voter, setA: set.setID, setB: other.setID, winner: .setA, ticketID: UUID(),
            castAt: Timestamp(milliseconds: 1_800_000_000_000))
        _ = try await log.append(LogRecord(EventEnvelope(occurredAt: vote.castAt, event: .voteCast(vote))))
        #expect(try await eventually { service.positions.events == 1201 })
        let (model, interactions) = service.current
        let person = RecommenderInteractions.Person.voter(voter)
        let owned = interactions.interactions(of: person)
        #expect(Set(owned.map { interactions.films[$0.item] }) == Set(set.movieIDs))
        let folded = try #require(model).foldInUser(owned)
        let expected = model!.topItems(for: folded, count: 10, excluding: owned.map(\.item)).map { interactions.films[$0.item] }
        let scored = service.recommendations(for: person, count: 10)
        #expect(scored.allSatisfy { $0.reason == .personalized && $0.score != nil })
        let recommended = scored.map(\.film)
        #expect(recommended == expected)
        #expect(Set(recommended).isDisjoint(with: set.movieIDs))
        // Each pick names the voter's own films it resembles: here, films of the one set they chose.
        #expect(scored.allSatisfy { (1...2).contains($0.because.count) && Set($0.because).isSubset(of: set.movieIDs) })
        // Films to avoid (met only in sets voted against) give way to others, and come only when nothing else is left.
        let avoided = Set(recommended.prefix(3))
        let others = service.recommendations(for: person, count: 10, avoiding: avoided)
        #expect(others.count == 10 && Set(others.map(\.film)).isDisjoint(with: avoided))
        #expect(others.prefix(7).map(\.film) == Array(recommended.dropFirst(3)))
        let everything = service.recommendations(for: person, count: interactions.films.count, avoiding: avoided)
        #expect(Set(everything.suffix(3).map(\.film)) == avoided, "the avoided films come last, when nothing else is known")

        _ = try await log.append(contentsOf: events.dropFirst(1200).map(LogRecord.init))
        #expect(try await eventually(timeout: .seconds(60)) { service.positions.model > firstTraining })
        running.cancel()
        try await running.value
        try await log.close()
    }
}
