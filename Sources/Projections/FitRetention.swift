/// Which replaced fits a node still serves by id, decided apart from the fits and the clock.
///
/// A reader pages through one fit by its id; a fit replaced by a newer one stays available for `retention`
/// after it was replaced, so a walk never mixes two orderings, and at most `maximum` fits are served in all
/// (the newest and the replaced ones kept), so memory stays bounded while fits come fast.
struct FitRetention<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    let retention: Duration
    /// Fits served at most, the newest included.
    let maximum: Int
    /// Replaced fits still kept, oldest first, with when each was replaced.
    private(set) var kept: [(id: UInt64, replacedAt: Instant)] = []

    init(retention: Duration, maximum: Int = 16) {
        precondition(maximum >= 1, "the newest fit is always served")
        self.retention = retention
        self.maximum = maximum
    }

    /// The fit `id` was replaced by a newer one at `now`: it is kept, and the ids no longer kept (too old,
    /// or beyond the maximum, oldest first) are returned for dropping.
    mutating func replaced(_ id: UInt64, at now: Instant) -> [UInt64] {
        kept.append((id, now))
        var dropped = expire(now: now)
        while kept.count > maximum - 1 { dropped.append(kept.removeFirst().id) }
        return dropped
    }

    /// Drops the fits replaced more than `retention` before `now` and returns their ids.
    mutating func expire(now: Instant) -> [UInt64] {
        let (stale, fresh) = (kept.filter { $0.replacedAt.duration(to: now) > retention }, kept.filter { $0.replacedAt.duration(to: now) <= retention })
        kept = fresh
        return stale.map(\.id)
    }

    /// Whether the replaced fit `id` is still served at `now`.
    func serves(_ id: UInt64, now: Instant) -> Bool {
        kept.contains { $0.id == id && $0.replacedAt.duration(to: now) <= retention }
    }
}
