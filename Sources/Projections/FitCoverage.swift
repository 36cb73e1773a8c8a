/// What a Bradley–Terry fit covers: the votes it counted and the sets and films it rated.
///
/// The one definition of "the fit is current": it covers what the counts hold now. Events that change no
/// count (a registration, a sign-out) leave a fit current however many of them follow it, and a new set
/// makes it out of date even without votes (the set must reach the leaderboards). Refit pacing, the pages'
/// `fit.state`, readiness and `/metrics` all ask `freshness`.
public struct FitCoverage: Sendable, Equatable {
    public var votes: Int
    public var sets: Int
    public var films: Int

    public init(votes: Int, sets: Int, films: Int) {
        (self.votes, self.sets, self.films) = (votes, sets, films)
    }

    /// How a served fit of `served` (nil: none yet) stands against counts that now cover `counts`.
    public static func freshness(served: FitCoverage?, counts: FitCoverage) -> FitFreshness {
        guard let served else { return .pending }
        return served == counts ? .current : .updating
    }

    /// `freshness`, and the events the counts (applied below `countedTo`) hold beyond a fit at
    /// `position`: 0 while it is current.
    public static func standing(
        served: FitCoverage?, position: UInt64, counts: FitCoverage, countedTo: UInt64
    ) -> (state: FitFreshness, eventsBehind: UInt64) {
        let state = freshness(served: served, counts: counts)
        return (state, state == .current ? 0 : countedTo - min(position, countedTo))
    }
}

/// Where the served fit stands against the counts.
public enum FitFreshness: String, Sendable, Equatable {
    /// No fit yet (pages are ordered by Elo).
    case pending
    /// It covers every vote, set and film the counts hold.
    case current
    /// Newer votes, sets or films wait for the next fit.
    case updating
}

extension BradleyTerryCounts {
    /// What a fit of these counts covers.
    public var coverage: FitCoverage { FitCoverage(votes: votes, sets: sets.items.count, films: films.count) }
}
