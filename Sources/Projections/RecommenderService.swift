import Foundation
import Logging
import MovieMashCore
import Recommender
import Synchronization

/// Keeps film recommendations current, as a cell of the node's `ProjectionRuntime` (which hands it every
/// chunk of events with the other projections): folds new films into the current model as their events arrive,
/// and a person whose events changed their history the next time their recommendations are asked for (a
/// fold-in costs the same whether one vote or a hundred came since, so it is paid per read, not per vote);
/// retrains the whole model in the background every `retrainEvery` events (but not within
/// `minimumRetrainGap` of the last training) or `retrainInterval`, swapping it in atomically. Readers never
/// wait for a training.
public final class RecommenderService: Sendable {
    public struct Configuration: Sendable {
        public var interactions = RecommenderInteractions.Configuration()
        public var model = ImplicitALS.Configuration()
        public var retrainEvery = 10_000
        public var retrainInterval: Duration = .seconds(300)
        /// Under a heavy stream of votes `retrainEvery` comes round often; training more often than this
        /// would spend the cores the gateway needs.
        public var minimumRetrainGap: Duration = .seconds(30)
        /// Retraining refreshes a model readers already have, so by default it runs on what the gateway
        /// leaves idle; on a machine whose cores are never idle that can postpone it indefinitely, and
        /// `.normal` bounds its delay instead (its cost is then bounded by `minimumRetrainGap`).
        public var retrainPriority: BackgroundThreads.Priority = .low
        /// Publishing shares the interactions with readers, so the next event copies them: under a stream
        /// of votes, publish at most this often.
        public var publishInterval: Duration = .milliseconds(25)

        public init() {
            model.alpha = 4
        }
    }

    /// What readers see: the latest model, factors folded in since it was trained (with the position they
    /// were computed at), and the interactions as of `position`.
    struct Published: Sendable {
        var model: FactorModel?
        var modelPosition: UInt64 = 0
        var trainedAt: Date?
        var people: [Int: (factors: [Float], position: UInt64)] = [:]
        /// People whose history changed after their factors were computed, with the position of the change.
        var stale: [Int: UInt64] = [:]
        var films: [Int: (factors: [Float], position: UInt64)] = [:]
        var interactions: RecommenderInteractions
        var position: UInt64 = 0
    }

    /// What the runtime folds events into, apart from what readers hold.
    private struct Working: Sendable {
        var interactions: RecommenderInteractions
        var position: UInt64 = 0
        var lastEventID: UUID?
        var pacing: PublishPacing<ContinuousClock.Instant>
        var sinceTraining = 0
        var lastTraining: ContinuousClock.Instant?
        /// People and new films seen since the last publish.
        var touched: [Int: UInt64] = [:]
        var newFilms: [Int: Int] = [:]
        /// How many films the current model knows (nil before the first).
        var modelFilms: Int?
    }

    private let configuration: Configuration
    private let logger: Logger
    private let fallback: @Sendable () -> [MovieID]
    private let published: Mutex<Published>
    private let working: Mutex<Working>
    private let training = Atomic<Bool>(false)
    private let retraining = Mutex<Task<Void, any Error>?>(nil)
    private let reachedEnd = Mutex(false)
    private let popularity = Mutex<(position: UInt64, films: [MovieID])?>(nil)
    private let cadence = SnapshotCadence<RecommenderInteractions>()

    /// `fallback` ranks films for people with no history (say, the Bradley–Terry film leaderboard); films
    /// with the most interactions fill in after it. Give it to the node's `ProjectionRuntime`.
    public init(configuration: Configuration = Configuration(), logger: Logger, fallback: @escaping @Sendable () -> [MovieID] = { [] }) {
        self.configuration = configuration
        working = Mutex(Working(
            interactions: RecommenderInteractions(configuration: configuration.interactions),
            pacing: PublishPacing(interval: configuration.publishInterval, now: .now)))
        self.logger = logger
        self.fallback = fallback
        published = Mutex(Published(interactions: RecommenderInteractions(configuration: configuration.interactions)))
    }

    /// The log position the recommendations reflect, and the position of the last full training.
    public var positions: (events: UInt64, model: UInt64) { published.withLock { ($0.position, $0.modelPosition) } }
    /// The latest full training as plain values (nil before the first).
    public struct Training: Sendable {
        /// The log position of the interactions it used.
        public var position: UInt64
        public var trainedAt: Date
        public var factors: Int
        /// Every film the model knows, with its factors.
        public var films: [(movie: MovieID, factors: [Float])]
    }

    public var latestTraining: Training? {
        let state = published.withLock { $0 }
        guard let model = state.model else { return nil }
        let films = state.interactions.films
        return Training(
            position: state.modelPosition, trainedAt: state.trainedAt ?? Date(), factors: model.configuration.factors,
            films: (0..<min(model.items.rows, films.count)).map { (films[$0], model.items.row($0)) })
    }

    /// The MovieMash voters the recommender knows.
    public var voters: [UserID] {
        published.withLock { state in state.interactions.people.compactMap { if case .voter(let id) = $0 { id } else { nil } } }
    }

    /// `positions.events`, for those who wait for it.
    public let reached = PositionSignal()

    /// The latest fully trained model (nil before the first training) and the interactions as of now.
    public var current: (model: FactorModel?, interactions: RecommenderInteractions) {
        published.withLock { ($0.model, $0.interactions) }
    }

    /// Whether the published interactions have reached the source's end since the start.
    public var hasCaughtUp: Bool { reachedEnd.withLock { $0 } }

    /// Publishes what is applied: the interactions, the people whose history changed and the films new to
    /// the model, folded in against the person who brought each.
    private func publish(now: ContinuousClock.Instant, snapshots: SnapshotStore?) {
        let (snapshot, position, id, changed, films) = working.withLock { working in
            defer {
                working.touched.removeAll(keepingCapacity: true)
                working.newFilms.removeAll(keepingCapacity: true)
                working.pacing.published(at: now)
            }
            return (working.interactions, working.position, working.lastEventID, working.touched, working.newFilms)
        }
        cadence.publishing(snapshot, at: position, lastEventID: id, now: now, snapshots: snapshots, logger: logger)
        let filmFactors = foldInFilms(films, interactions: snapshot)
        published.withLock { state in
            state.interactions = snapshot
            state.position = position
            state.stale.merge(changed) { max($0, $1) }
            for (film, factors) in filmFactors { state.films[film] = (factors, position) }
        }
        reached.advance(to: position)
    }

    /// Whether a training is due, with `sinceTraining` events applied since the last one (begun at
    /// `lastTraining`; nil before the first): at the source's end (`caughtUp`), after `retrainEvery` events
    /// but not within `minimumRetrainGap` of the last, or after `retrainInterval`, the first as soon as
    /// there is data. Behind the end (a node catching up) a model of the events so far would be replaced
    /// before it served anyone and takes cores from the catching up: none starts there, not even the
    /// first, unless the current one has gone unrefreshed for `retrainInterval`.
    static func trainingDue(
        sinceTraining: Int, lastTraining: ContinuousClock.Instant?, now: ContinuousClock.Instant, caughtUp: Bool, configuration: Configuration
    ) -> Bool {
        guard sinceTraining > 0 else { return false }
        guard let lastTraining else { return caughtUp }
        if now - lastTraining >= configuration.retrainInterval { return true }
        return caughtUp && sinceTraining >= configuration.retrainEvery && now - lastTraining >= configuration.minimumRetrainGap
    }

    /// Starts a training in the background when one is due (`trainingDue`).
    private func retrainIfDue(now: ContinuousClock.Instant, caughtUp: Bool) {
        let modelFilms = published.withLock { $0.model?.items.rows }
        let started: (RecommenderInteractions, UInt64)? = working.withLock { working in
            working.modelFilms = modelFilms
            let due = Self.trainingDue(
                sinceTraining: working.sinceTraining, lastTraining: working.lastTraining, now: now, caughtUp: caughtUp,
                configuration: configuration)
            guard due, training.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return nil }
            working.sinceTraining = 0
            working.lastTraining = now
            return (working.interactions, working.position)
        }
        guard let (snapshot, position) = started else { return }
        // Until the first model there is nothing personal to serve and the service is not ready.
        let priority = published.withLock { $0.model == nil } ? .normal : configuration.retrainPriority
        retraining.withLock {
            $0 = Task { [configuration] in
                defer { self.training.store(false, ordering: .releasing) }
                let model = await BackgroundThreads.value(priority: priority, name: "mm-als-train") {
                    ImplicitALS.fit(snapshot.matrix.matrix, configuration: configuration.model)
                }
                try Task.checkCancellation()
                self.published.withLock { state in
                    state.model = model
                    state.modelPosition = position
                    state.trainedAt = Date()
                    state.people = state.people.filter { $0.value.position > position }
                    state.stale = state.stale.filter { $0.value > position }
                    state.films = state.films.filter { $0.value.position > position }
                }
            }
        }
    }

    /// Factors for films the model has never seen, each folded in against the person who brought it.
    private func foldInFilms(_ films: [Int: Int], interactions: RecommenderInteractions) -> [Int: [Float]] {
        guard !films.isEmpty, let model = published.withLock({ $0.model }) else { return [:] }
        var factors: [Int: [Float]] = [:]
        for (film, person) in films where film >= model.items.rows && person < model.users.rows {
            let weight = interactions.matrix.rows[person].first { Int($0.column) == film }?.value ?? 0
            factors[film] = model.foldInItem([(user: person, weight: weight)])
        }
        return factors
    }

    /// Every film, most favoured and chosen first: sorted once per published position, not per request.
    private func popularFilms(_ interactions: RecommenderInteractions, position: UInt64) -> [MovieID] {
        if let cached = popularity.withLock({ $0 }), cached.position == position { return cached.films }
        let counts = interactions.peoplePerFilm + repeatElement(0, count: max(0, interactions.films.count - interactions.peoplePerFilm.count))
        let films = counts.indices.sorted { (counts[$0], -$0) > (counts[$1], -$1) }.map { interactions.films[$0] }
        popularity.withLock { $0 = (position, films) }
        return films
    }

    /// A person's factors under `model`: folded in afresh when their history changed since they last were
    /// (and kept for the next request), else as last folded in or as trained.
    private func factors(of index: Int, model: FactorModel, state: Published) -> [Float]? {
        guard let stale = state.stale[index] else {
            return state.people[index]?.factors ?? (index < model.users.rows ? model.users.row(index) : nil)
        }
        let row = state.interactions.matrix.rows[index]
        let factors = model.foldInUser(row.filter { Int($0.column) < model.items.rows }.map { (item: Int($0.column), weight: $0.value) })
        published.withLock { current in
            guard current.model === model else { return }
            current.people[index] = (factors, stale)
            if current.stale[index] == stale { current.stale[index] = nil }
        }
        return factors
    }

    /// Up to `count` films for `person`, best first, never ones they already have. A person without history
    /// (or before the first model) gets the cold-start ranking: `fallback`, then the films with the most
    /// interactions. Films in `avoiding` (for a voter, those met only in sets they voted against) come
    /// only when nothing else is left. A model's pick names, in `because`, up to two of the person's own
    /// films it most resembles.
    public func recommendations(for person: RecommenderInteractions.Person, count: Int, avoiding: Set<MovieID> = []) -> [Recommendation] {
        let state = published.withLock { $0 }
        let (model, interactions) = (state.model, state.interactions)
        let vector = model.flatMap { model in
            interactions.people.firstIndex(of: person).flatMap { factors(of: $0, model: model, state: state) }
        }
        let owned = interactions.interactions(of: person).map(\.item)
        var result: [Recommendation] = [], avoided: [Recommendation] = []
        if let model, let vector {
            let ownedFolded = state.films.isEmpty ? [] : Set(owned)
            let extra = state.films.filter { !ownedFolded.contains($0.key) }.map { film, folded in
                (item: film, score: zip(vector, folded.factors).map(*).reduce(0, +))
            }
            let scored = model.topItems(for: vector, count: count + avoiding.count, excluding: owned) + extra
            let ownedInModel = owned.filter { $0 < model.items.rows }
            for pick in scored.sorted(by: { ($0.score, -$0.item) > ($1.score, -$1.item) }) where result.count < count {
                let factors = pick.item < model.items.rows ? model.items.row(pick.item) : state.films[pick.item]?.factors ?? []
                let because = model.closest(to: factors, among: ownedInModel, count: 2).map { interactions.films[$0] }
                let recommendation = Recommendation(film: interactions.films[pick.item], score: pick.score, reason: .personalized, because: because)
                if avoiding.contains(recommendation.film) { avoided.append(recommendation) } else { result.append(recommendation) }
            }
        }
        if result.count < count {
            let ownedFilms = Set(owned.map { interactions.films[$0] })
            var taken = Set(result.map(\.film)).union(avoiding)
            for film in fallback() where result.count < count && !ownedFilms.contains(film) && taken.insert(film).inserted {
                result.append(Recommendation(film: film, score: nil, reason: .topRated))
            }
            for film in popularFilms(interactions, position: state.position) where result.count < count && !ownedFilms.contains(film) && taken.insert(film).inserted {
                result.append(Recommendation(film: film, score: nil, reason: .popular))
            }
        }
        return result + avoided.prefix(count - result.count)
    }
}

/// One recommended film, with the model's score when it came from the model, and why it is there.
public struct Recommendation: Sendable, Equatable {
    public enum Reason: String, Sendable, Codable {
        /// The factor model: people whose favourites and choices resemble yours favour it.
        case personalized
        /// Cold start: high on the Bradley–Terry film leaderboard.
        case topRated
        /// Cold start: among the films most often favoured or chosen.
        case popular
    }

    public var film: MovieID
    public var score: Float?
    public var reason: Reason
    /// For a model's pick: the person's own films it most resembles (for a voter, from sets they chose).
    public var because: [MovieID] = []
}

extension RecommenderService: RuntimeCell {
    var name: String { RecommenderInteractions.name }
    var applied: any Projector { working.withLock { $0.interactions } }
    var appliedPosition: UInt64 { working.withLock { $0.position } }

    /// Loads the interactions' snapshot (the model is trained again from them as soon as the node starts).
    func load(from snapshots: SnapshotStore?, source: any EventSource, logger: Logger) async -> UInt64 {
        var interactions = RecommenderInteractions(configuration: configuration.interactions)
        let position = await cadence.load(into: &interactions, from: snapshots, source: source, logger: logger)
        let start = interactions
        working.withLock {
            $0.interactions = start
            $0.position = position
            $0.sinceTraining = position > 0 ? 1 : 0
        }
        published.withLock {
            $0.interactions = start
            $0.position = position
        }
        reached.advance(to: position)
        return position
    }

    func apply(_ events: ArraySlice<(event: EventEnvelope, after: UInt64)>) {
        working.withLock { working in
            for (event, after) in events where after > working.position {
                working.interactions.apply(event)
                working.position = after
                working.lastEventID = event.eventID
                guard let last = working.interactions.lastTouched else { continue }
                working.sinceTraining += 1
                working.touched[last.person] = after
                if let modelFilms = working.modelFilms {
                    for film in last.films where film >= modelFilms { working.newFilms[film] = last.person }
                }
            }
        }
    }

    func pace(now: ContinuousClock.Instant, end: UInt64, atEnd: Bool, snapshots: SnapshotStore?, logger: Logger) -> ContinuousClock.Instant? {
        let publishedPosition = published.withLock { $0.position }
        let (step, position) = working.withLock { ($0.pacing.step(unpublished: $0.position > publishedPosition, behind: !atEnd, now: now), $0.position) }
        let deadline = step.perform { publish(now: now, snapshots: snapshots) }
        retrainIfDue(now: now, caughtUp: atEnd)
        if atEnd, position >= end, deadline == nil { reachedEnd.withLock { $0 = true } }
        return deadline
    }

    func finish(snapshots: SnapshotStore?, logger: Logger) async {
        retraining.withLock { $0?.cancel() }
        publish(now: .now, snapshots: nil)
        reached.finish()
        let (interactions, position, id) = working.withLock { ($0.interactions, $0.position, $0.lastEventID) }
        await cadence.finish(interactions, at: position, lastEventID: id, snapshots: snapshots, logger: logger)
    }
}
