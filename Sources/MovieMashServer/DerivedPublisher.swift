import Foundation
import Logging
import MovieMashCore
import PostgresMirror
import Projections
import ServiceLifecycle

/// Copies the writer's newest Bradley–Terry fit and factor model into PostgreSQL's `derived` schema for
/// analysts, at most once per `interval` each, off every request path. A failed write is logged once and
/// tried again at the next turn; nothing waits for it. A fit or model is written only once the mirror holds
/// every event it covers, so analysts never see a rating of votes `events` does not have yet.
struct DerivedPublisher: Service {
    let projectors: Projectors
    let mirrored: PositionSignal
    let tables: DerivedTables
    let interval: Duration
    /// Recommendations written per voter.
    let recommendations: Int
    let logger: Logger

    func run() async throws {
        var fitWritten: UInt64?
        var modelWritten: UInt64?
        var failing = false
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let standings = projectors.leaderboards.current
                if let fittedAt = standings.fittedAt, standings.position != fitWritten, mirrored.position >= standings.position {
                    try await tables.write([
                        Self.fit("sets", standings.sets, position: standings.position, at: fittedAt),
                        Self.fit("films", standings.films, position: standings.position, at: fittedAt),
                    ])
                    fitWritten = standings.position
                    logger.info("derived leaderboards written", metadata: ["position": "\(standings.position)"])
                }
                if let training = projectors.recommender.latestTraining, training.position != modelWritten,
                   mirrored.position >= training.position {
                    let model = await Task.detached(priority: .background) { [projectors, recommendations] in
                        Self.model(projectors, training, recommendations: recommendations)
                    }.value
                    try await tables.write(model)
                    modelWritten = training.position
                    logger.info("derived model written", metadata: [
                        "position": "\(training.position)", "films": "\(model.films.count)", "recommendations": "\(model.recommendations.count)",
                    ])
                }
                if failing { logger.info("derived tables written again") }
                failing = false
            } catch {
                if !failing { logger.warning("derived tables not written, trying again in \(interval): \(error)") }
                failing = true
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch is CancellationError {
                return
            }
        }
    }

    static func fit<Item: CustomStringConvertible>(_ board: String, _ leaderboard: Leaderboard<Item>, position: UInt64, at date: Date) -> DerivedTables.Fit {
        DerivedTables.Fit(board: board, position: position, fittedAt: date, entries: leaderboard.entries.map { entry in
            let standing = entry.standing
            return .init(item: entry.item.description, rating: standing.rating, lower: standing.lower, upper: standing.upper,
                         rank: standing.rank, comparisons: standing.comparisons)
        })
    }

    /// The model and each voter's picks as the gateway gives them (films met only in sets the voter voted
    /// against last).
    static func model(_ projectors: Projectors, _ training: RecommenderService.Training, recommendations count: Int) -> DerivedTables.Model {
        let recommender = projectors.recommender
        let history = projectors.voterHistory.current.state, catalogue = projectors.catalogue.current.state
        var picks: [DerivedTables.Model.Recommendation] = []
        for voter in recommender.voters {
            let avoiding = history.choices(of: voter, catalogue: catalogue).rejectedOnly
            for (rank, pick) in recommender.recommendations(for: .voter(voter), count: count, avoiding: avoiding).enumerated() {
                picks.append(.init(user: voter, rank: rank + 1, movieID: pick.film.description, score: pick.score, reason: pick.reason.rawValue))
            }
        }
        return DerivedTables.Model(
            position: training.position, trainedAt: training.trainedAt, factors: training.factors,
            films: training.films.map { (movieID: $0.movie.description, factors: $0.factors) }, recommendations: picks)
    }
}
