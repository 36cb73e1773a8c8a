import Projections
import Synchronization

/// The pair selector, rebuilt from the projections at most once per `maximumAge` (or when the set
/// catalogue grows): building one sorts every set, which per request would cost milliseconds at 10k sets,
/// while ratings a second old choose pairs just as well.
final class SelectorCache: Sendable {
    private let maximumAge: Duration
    private let cached = Mutex<(selector: PairSelector, sets: Int, built: ContinuousClock.Instant)?>(nil)

    init(maximumAge: Duration = .seconds(1)) {
        self.maximumAge = maximumAge
    }

    func selector(readModel: ReadModel, catalogue: Catalogue) -> PairSelector {
        let now = ContinuousClock.now
        if let current = cached.withLock({ $0 }), current.sets == catalogue.sets.count, now - current.built < maximumAge {
            return current.selector
        }
        let standings = readModel.standings()
        let selector = PairSelector(
            catalogue: catalogue, elo: readModel.elo(), leaderboard: standings.sets, fitted: standings.setCounts, tallies: readModel.tallies())
        cached.withLock { $0 = (selector, catalogue.sets.count, now) }
        return selector
    }
}
