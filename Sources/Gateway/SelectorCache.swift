import MovieMashCore
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

    /// A pair drawn as voters get them, never one in `excluded`, with the catalogue it comes from; nil when
    /// no such pair is left.
    func draw(readModel: ReadModel, excluding excluded: [PairKey]) -> (a: Top4SetScraped, b: Top4SetScraped, catalogue: Catalogue)? {
        let catalogue = readModel.catalogue()
        var random = SystemRandomNumberGenerator()
        guard let pair = selector(readModel: readModel, catalogue: catalogue).next(excluding: excluded, using: &random),
              let a = catalogue.sets[pair.0], let b = catalogue.sets[pair.1] else { return nil }
        return (a, b, catalogue)
    }
}
