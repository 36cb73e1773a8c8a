import Foundation
import MovieMashCore

/// Chooses the next pair of sets to show a voter.
///
/// Most of the time it picks an anchor (the most uncertain of a few random sets) and, among the sets
/// nearest to it in rating, the partner whose vote should tell most: the information a vote adds about
/// the pair's difference, `I·V / (1 + k·I·V)` with `I = p·(1 − p)` (largest for an even match), `V` the
/// variance of the difference of the two log-strengths (from the fit's bootstrap rounds, so two sets
/// whose difference is already pinned down, like neighbours compared often, score low even when each is
/// uncertain; without rounds, the sum of the two variances) and `k` the votes on the pair since that
/// fit (each shrinks `V` as a vote would: `V / (1 + I·V)`), times genre diversity (`½ + ½·Jaccard
/// distance` of the two sets' genres). A share `exploration` of choices is a uniformly random pair instead, so no
/// set is starved. Pairs in `excluding` (recently shown to or voted on by this voter) are never chosen.
/// Deterministic: the same inputs and random number generator give the same pair.
public struct PairSelector: Sendable {
    public struct Configuration: Sendable {
        public var exploration = 0.1
        /// Random sets considered as anchors; the most uncertain wins.
        public var anchorSamples = 8
        /// Partners considered on each side of the anchor in rating order.
        public var window = 16
        /// The half-width assumed for a set with no interval yet.
        public var unknownHalfWidth = 400.0
        public var scale = 400.0

        public init() {}
    }

    /// A set as the selector sees it.
    public struct Candidate: Sendable {
        public var set: SetID
        public var rating: Double
        public var halfWidth: Double
        public var genres: UInt64
        /// The set's log-strength in each bootstrap round of the fit less its mean over the rounds (empty
        /// without a fit): what the variance of a difference is computed from.
        public var deviations: [Float]

        public init(set: SetID, rating: Double, halfWidth: Double, genres: UInt64, deviations: [Float] = []) {
            self.set = set
            self.rating = rating
            self.halfWidth = halfWidth
            self.genres = genres
            self.deviations = deviations
        }
    }

    public let configuration: Configuration
    /// Best rating first.
    private let candidates: [Candidate]
    /// Votes on the pair of candidates at two positions since the fit their deviations come from.
    private let votesOnPair: @Sendable (Int, Int) -> Int

    /// `votesOnPair`: the votes on a pair since the fit the candidates' ratings and deviations come from.
    public init(
        candidates: [Candidate], configuration: Configuration = Configuration(),
        votesOnPair: @escaping @Sendable (SetID, SetID) -> Int
    ) {
        let sorted = Self.ordered(candidates)
        self.init(sorted: sorted, configuration: configuration) { votesOnPair(sorted[$0].set, sorted[$1].set) }
    }

    /// Candidates from the current projections: Bradley–Terry rating, interval and bootstrap deviations
    /// where the set has them, else its Elo rating and `unknownHalfWidth`; `fitted`, the counts the
    /// leaderboard was fitted from, tells the votes since.
    public init(
        catalogue: Catalogue, elo: EloRatings, leaderboard: Leaderboard<SetID>, fitted: PairCounts<SetID>? = nil, tallies: Tallies,
        configuration: Configuration = Configuration()
    ) {
        let sorted = Self.ordered(catalogue.sets.keys.map { set in
            let standing = leaderboard[set]
            return Candidate(
                set: set, rating: standing?.rating ?? elo.rating(of: set) ?? elo.configuration.base,
                halfWidth: standing?.halfWidth ?? configuration.unknownHalfWidth,
                genres: catalogue.genreSignature(of: set), deviations: leaderboard.deviations(of: set))
        })
        // Each set's tally index, found once here rather than hashed twice per partner per request.
        let pairs = tallies.pairs
        let indices = sorted.map { pairs.items.firstIndex(of: $0.set).map(Int32.init) }
        let fittedIndices = sorted.map { set in fitted.flatMap { $0.items.firstIndex(of: set.set).map(Int32.init) } }
        self.init(sorted: sorted, configuration: configuration) { i, j in
            guard let a = indices[i], let b = indices[j] else { return 0 }
            let votes = pairs.wins(a, b)
            var before = 0
            if let fitted, let x = fittedIndices[i], let y = fittedIndices[j] {
                let counted = fitted.wins(x, y)
                before = counted.a + counted.b
            }
            return max(0, votes.a + votes.b - before)
        }
    }

    private init(sorted: [Candidate], configuration: Configuration, votesOnPair: @escaping @Sendable (Int, Int) -> Int) {
        self.configuration = configuration
        candidates = sorted
        self.votesOnPair = votesOnPair
    }

    private static func ordered(_ candidates: [Candidate]) -> [Candidate] {
        candidates.sorted { ($0.rating, $0.set) > ($1.rating, $1.set) }
    }

    public var count: Int { candidates.count }

    /// The next pair, or nil when every pair is excluded (or there are fewer than two sets).
    /// `excluded` is an array: a voter's few recent pairs cost less to pass than a set built for each
    /// request, and only the anchor's partners are looked up in it.
    public func next(excluding excluded: [PairKey], using random: inout some RandomNumberGenerator) -> (SetID, SetID)? {
        next(excluding: excluded, seed: random.next())
    }

    // Not generic: called from another module, a generic body runs unspecialized, looking up the metadata
    // of its tuples and collections at run time, which cost more than the choice itself. One draw from
    // the caller's generator seeds a concrete one.
    private func next(excluding excluded: [PairKey], seed: UInt64) -> (SetID, SetID)? {
        var random = SplitMix64(seed: seed)
        let n = candidates.count
        guard n >= 2 else { return nil }
        if Double.random(in: 0..<1, using: &random) < configuration.exploration,
           let pair = randomPair(excluding: excluded, using: &random) {
            return pair
        }
        var anchor = Int.random(in: 0..<n, using: &random)
        for _ in 1..<max(1, configuration.anchorSamples) {
            let other = Int.random(in: 0..<n, using: &random)
            if candidates[other].halfWidth > candidates[anchor].halfWidth { anchor = other }
        }
        let a = candidates[anchor]
        let taken = excluded.compactMap { $0.low == a.set ? $0.high : $0.high == a.set ? $0.low : nil }
        // Each partner's score before dividing by the votes already on the pair, an upper bound of its
        // score: taken best first, the votes (a table lookup, usually a cache miss) are needed only until
        // the next bound falls below the best score found.
        var bounds: [(bound: Double, information: Double, index: Int)] = []
        bounds.reserveCapacity(2 * configuration.window)
        for index in max(0, anchor - configuration.window)...min(n - 1, anchor + configuration.window) where index != anchor {
            let b = candidates[index]
            if taken.contains(b.set) { continue }
            let p = 1 / (1 + pow(10, (b.rating - a.rating) / configuration.scale))
            let union = (a.genres | b.genres).nonzeroBitCount
            let distance = union == 0 ? 0 : 1 - Double((a.genres & b.genres).nonzeroBitCount) / Double(union)
            let information = p * (1 - p) * differenceVariance(a, b)
            bounds.append((information * (0.5 + 0.5 * distance), information, index))
        }
        bounds.sort { ($0.bound, -$0.index) > ($1.bound, -$1.index) }
        var best: (index: Int, score: Double)?
        for (bound, information, index) in bounds {
            if let best, bound < best.score { break }
            let score = bound / (1 + Double(votesOnPair(anchor, index)) * information)
            // Equal scores go to the partner nearest the top of the ranking, whatever order they came in.
            if best.map({ score > $0.score || (score == $0.score && index < $0.index) }) ?? true { best = (index, score) }
        }
        if let best { return (a.set, candidates[best.index].set) }
        return randomPair(excluding: excluded, using: &random)
    }

    /// The variance of the difference of two sets' log-strengths: over the bootstrap rounds when both
    /// have them, else the sum of the variances their half-widths imply.
    func differenceVariance(_ a: Candidate, _ b: Candidate) -> Double {
        if a.deviations.count > 1, a.deviations.count == b.deviations.count {
            var sum: Float = 0
            for r in a.deviations.indices {
                let d = a.deviations[r] - b.deviations[r]
                sum += d * d
            }
            return Double(sum) / Double(a.deviations.count - 1)
        }
        let perTheta = 1.96 * configuration.scale / log(10.0)
        return (a.halfWidth * a.halfWidth + b.halfWidth * b.halfWidth) / (perTheta * perTheta)
    }

    private func randomPair(excluding excluded: [PairKey], using random: inout SplitMix64) -> (SetID, SetID)? {
        let n = candidates.count
        for _ in 0..<32 {
            let i = Int.random(in: 0..<n, using: &random)
            var j = Int.random(in: 0..<(n - 1), using: &random)
            if j >= i { j += 1 }
            if !excluded.contains(PairKey(candidates[i].set, candidates[j].set)) { return (candidates[i].set, candidates[j].set) }
        }
        for i in 0..<n {
            for j in (i + 1)..<n where !excluded.contains(PairKey(candidates[i].set, candidates[j].set)) {
                return (candidates[i].set, candidates[j].set)
            }
        }
        return nil
    }
}
