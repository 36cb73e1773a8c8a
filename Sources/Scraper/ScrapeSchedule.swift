import MovieMashCore

/// Which Letterboxd profile the scrape service fetches next, and when, decided apart from fetching and the
/// clock (time is passed in).
///
/// Every known profile is refreshed once per `refreshInterval`, and the refreshes are spread evenly over
/// it: one scheduled fetch every interval ÷ profiles (jittered), the longest-due first, so a week's work
/// never arrives as one burst however the profiles were first scraped. A profile never read yet is read
/// as soon as the fetcher's pace allows. Voters' requests go first, within
/// limits per voter and overall, so nobody can use the queue to make us hammer Letterboxd. A challenge page
/// pauses everything for a backoff that grows while challenges repeat.
public struct ScrapeSchedule: Sendable {
    public struct Settings: Sendable {
        public var refreshInterval: Duration = .seconds(7 * 86_400)
        /// Each gap between scheduled fetches is its length times 1 ± jitter (a profile is due exactly one
        /// interval after its last fetch; the gaps carry the randomness, so no profile comes early).
        public var jitter = 0.25
        /// Requests waiting at most; beyond it a request is refused until the queue drains.
        public var maximumQueued = 100
        /// Requests one voter may make per `requestWindow`.
        public var requestsPerVoter = 10
        /// Requests all voters together may make per `requestWindow`.
        public var requestsOverall = 500
        public var requestWindow: Duration = .seconds(86_400)
        /// A profile fetched this recently is not fetched again on request.
        public var freshFor: Duration = .seconds(3600)
        /// The pause after a challenge page, growing while challenges repeat.
        public var challengePause = Backoff(base: .seconds(900), cap: .seconds(86_400))
        /// When a failed fetch (network, 5xx, retries exhausted) is tried again.
        public var retryAfterFailure = Backoff(base: .seconds(600), cap: .seconds(86_400))

        public init() {}
    }

    /// What became of a fetch.
    public enum Outcome: Sendable, Equatable {
        /// The favourites were read; `changed` when the fetch appended events.
        case fetched(changed: Bool)
        /// Fewer than four favourites: no set.
        case incomplete(favourites: Int)
        case privateProfile
        case notFound
        /// A challenge or captcha page: everything pauses.
        case blocked
        /// Any other failure, by `ScrapeError.Code` name; tried again after a backoff.
        case failed(String)
    }

    /// What to do now.
    public enum Action: Sendable, Equatable {
        /// Fetch this profile, then call `finished`.
        case fetch(String)
        /// Nothing is due before this instant (or before a request arrives).
        case wait(until: Timestamp)
        /// Nothing is known or queued: wait for a request or a new profile.
        case idle
    }

    /// A profile as the schedule sees it.
    public struct Profile: Sendable, Equatable {
        /// The name as it is fetched: the log's spelling once the log knows the profile, so a refresh
        /// finds the same owner (a set's id derives from its owner's name as written).
        public var name: String
        public var lastFetched: Timestamp?
        public var due: Timestamp
        public var outcome: Outcome?
        /// Failed fetches in a row.
        public var failures = 0
        /// Kept fresh on the schedule: known from the log, the users file or a claim. A profile only asked
        /// for is read once and remembered for its state a day, so nobody can grow the schedule with
        /// names that have no set.
        public var refreshed = true
    }

    /// What a request became.
    public enum RequestDecision: Sendable, Equatable {
        /// In the queue at this place (1 is next); also the answer to asking twice.
        case queued(place: Int)
        /// Being fetched now.
        case fetching
        /// Fetched within `freshFor`: its state stands, nothing is fetched.
        case fresh
        /// This voter asked for `requestsPerVoter` profiles within the window; try again after the delay.
        case voterLimit(retryAfter: Duration)
        /// Everyone together asked for too many, or the queue is full; try again after the delay.
        case busy(retryAfter: Duration)
    }

    public let settings: Settings
    public private(set) var profiles: [String: Profile] = [:]
    /// Requested profiles, first to be fetched first.
    public private(set) var queue: [String] = []
    public private(set) var fetching: String?
    /// Whether the fetch under way was asked for (it goes back to the queue's front if it cannot happen).
    private var fetchingRequested = false
    /// While set, nothing is fetched before it: a challenge page was met.
    public private(set) var pausedUntil: Timestamp?
    private var challenges = 0
    private var nextScheduled: Timestamp?
    private var requests: [(voter: UserID, at: Timestamp)] = []
    private var random: SplitMix64

    public init(settings: Settings = Settings(), seed: UInt64 = .random(in: 0...UInt64.max)) {
        self.settings = settings
        random = SplitMix64(seed: seed)
    }

    /// Keys are Letterboxd names as they are spelt in URLs; names are case-insensitive there.
    private static func key(_ name: String) -> String { name.lowercased() }

    /// A profile to keep fresh, last fetched at `lastFetched` (nil: never): due one refresh interval later.
    /// A profile already known keeps its state; with `lastFetched` (the log's own record of it) it takes
    /// this spelling of the name.
    public mutating func add(_ name: String, lastFetched: Timestamp?, now: Timestamp) {
        if let known = profiles[Self.key(name)] {
            if lastFetched != nil { profiles[Self.key(name)]!.name = name }
            if !known.refreshed {
                profiles[Self.key(name)]!.refreshed = true
                profiles[Self.key(name)]!.due = known.lastFetched.map { $0.advanced(by: settings.refreshInterval) } ?? known.due
            }
            return
        }
        profiles[Self.key(name)] = Profile(
            name: name, lastFetched: lastFetched, due: lastFetched.map { $0.advanced(by: settings.refreshInterval) } ?? now)
    }

    /// The profile `name` as known, if it is.
    public func profile(_ name: String) -> Profile? { profiles[Self.key(name)] }

    /// Whether `name` is being fetched now.
    public func isFetching(_ name: String) -> Bool { fetching == Self.key(name) }

    /// Where `name` waits in the queue (1 is next), if it does.
    public func place(of name: String) -> Int? { queue.firstIndex(of: Self.key(name)).map { $0 + 1 } }

    /// Profiles kept fresh on the schedule.
    public var refreshed: Int { profiles.values.count(where: \.refreshed) }

    /// Profiles whose scheduled refresh is due at `now`.
    public func due(at now: Timestamp) -> Int { profiles.values.count { $0.refreshed && $0.due <= now } }

    /// `voter` asks for `name` to be fetched.
    public mutating func request(_ name: String, by voter: UserID, now: Timestamp) -> RequestDecision {
        let key = Self.key(name)
        if fetching == key { return .fetching }
        if let place = place(of: key) { return .queued(place: place) }
        if let fetched = profiles[key]?.lastFetched, fetched.duration(to: now) < settings.freshFor,
           profiles[key]?.outcome.map({ if case .failed = $0 { false } else { $0 != .blocked } }) ?? false {
            return .fresh
        }
        let windowStart = now.advanced(by: .zero - settings.requestWindow)
        requests.removeAll { $0.at <= windowStart }
        let mine = requests.filter { $0.voter == voter }
        if mine.count >= settings.requestsPerVoter {
            return .voterLimit(retryAfter: now.duration(to: mine[0].at.advanced(by: settings.requestWindow)))
        }
        if requests.count >= settings.requestsOverall {
            return .busy(retryAfter: now.duration(to: requests[0].at.advanced(by: settings.requestWindow)))
        }
        if queue.count >= settings.maximumQueued {
            // The queue drains at least as fast as one scheduled gap per request at the fetcher's pace;
            // a minute is an honest lower bound to suggest.
            return .busy(retryAfter: .seconds(60))
        }
        requests.append((voter, now))
        queue.append(key)
        // Profiles only asked for are forgotten a day after they were read.
        let forgotten = now.advanced(by: .seconds(-86_400))
        profiles = profiles.filter { $0.value.refreshed || ($0.value.lastFetched ?? now) > forgotten || queue.contains($0.key) }
        if profiles[key] == nil {
            profiles[key] = Profile(name: name, lastFetched: nil, due: now.advanced(by: settings.refreshInterval), refreshed: false)
        }
        return .queued(place: queue.count)
    }

    /// What to do at `now`: a request first, then the longest-due profile once the spread allows it.
    public mutating func next(now: Timestamp) -> Action {
        if let pausedUntil {
            guard now >= pausedUntil else { return .wait(until: pausedUntil) }
            self.pausedUntil = nil
        }
        if fetching != nil { return .idle }
        if !queue.isEmpty {
            let key = queue.removeFirst()
            (fetching, fetchingRequested) = (key, true)
            return .fetch(profiles[key]?.name ?? key)
        }
        // A profile never read, or a retry after a failure, keeps its own time; a refresh also waits for the
        // spread's next turn.
        func spread(_ profile: Profile) -> Bool { profile.failures == 0 && profile.lastFetched != nil }
        func turn(_ profile: Profile) -> Timestamp {
            spread(profile) ? max(profile.due, nextScheduled ?? profile.due) : profile.due
        }
        let scheduled = profiles.lazy.filter(\.value.refreshed)
        guard let (name, profile) = scheduled.min(by: { (turn($0.value), $0.key) < (turn($1.value), $1.key) }) else { return .idle }
        guard now >= turn(profile) else { return .wait(until: turn(profile)) }
        if spread(profile) {
            nextScheduled = now.advanced(by: jittered(settings.refreshInterval / max(1, refreshed)))
        }
        (fetching, fetchingRequested) = (name, false)
        return .fetch(profile.name)
    }

    /// The fetch of `name` that `next` started ended with `outcome`.
    public mutating func finished(_ name: String, outcome: Outcome, now: Timestamp) {
        let key = Self.key(name)
        let requested = fetching == key && fetchingRequested
        if fetching == key { (fetching, fetchingRequested) = (nil, false) }
        var profile = profiles[key] ?? Profile(name: name, lastFetched: nil, due: now, refreshed: false)
        switch outcome {
        case .blocked:
            // The fetch did not happen: a request goes back to the front, a refresh stays due.
            if requested { queue.insert(key, at: 0) }
            pausedUntil = now.advanced(by: max(settings.challengePause.base, settings.challengePause.delay(attempt: challenges, using: &random)))
            challenges += 1
            profile.outcome = .blocked
        case .failed:
            profile.failures += 1
            profile.outcome = outcome
            profile.due = now.advanced(by: max(settings.retryAfterFailure.base, settings.retryAfterFailure.delay(attempt: profile.failures - 1, using: &random)))
        case .fetched, .incomplete, .privateProfile, .notFound:
            challenges = 0
            profile.failures = 0
            profile.outcome = outcome
            profile.lastFetched = now
            profile.due = now.advanced(by: settings.refreshInterval)
        }
        profiles[key] = profile
    }

    /// `duration` times a factor drawn from 1 ± jitter.
    private mutating func jittered(_ duration: Duration) -> Duration {
        duration * (1 + settings.jitter * Double.random(in: -1...1, using: &random))
    }
}
