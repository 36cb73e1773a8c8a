import Foundation
import MovieMashCore
import Testing

@testable import Scraper

/// The scrape service's decisions, driven with a hand-moved clock: no fetches, no sockets.
@Suite struct ScrapeScheduleTests {
    static let start = Timestamp(milliseconds: 1_800_000_000_000)
    static let week: Duration = .seconds(7 * 86_400)

    /// Runs the schedule from `now` until `end`, every fetch succeeding unchanged at once; the fetches.
    static func run(_ schedule: inout ScrapeSchedule, from now: Timestamp, until end: Timestamp) -> [(name: String, at: Timestamp)] {
        var now = now, fetched: [(String, Timestamp)] = []
        while now < end {
            switch schedule.next(now: now) {
            case .fetch(let name):
                fetched.append((name, now))
                schedule.finished(name, outcome: .fetched(changed: false), now: now)
            case .wait(let until): now = max(until, now)
            case .idle: return fetched
            }
        }
        return fetched
    }

    @Test func aWeeksRefreshesAreSpreadEvenlyAcrossTheWeekNotBunched() {
        var schedule = ScrapeSchedule(seed: 7)
        // All fifty were scraped together long ago, so all are due at once.
        for index in 0..<50 { schedule.add("user_\(index)", lastFetched: Self.start.advanced(by: .seconds(-30 * 86_400)), now: Self.start) }
        #expect(schedule.due(at: Self.start) == 50)
        let pass = Self.run(&schedule, from: Self.start, until: Self.start.advanced(by: Self.week))
        #expect(Set(pass.map(\.name)).count == pass.count, "no profile twice within a week")
        #expect((42...50).contains(pass.count), "about one week's worth: \(pass.count)")
        let gap = Self.week / 50
        for (earlier, later) in zip(pass, pass.dropFirst()) {
            let between = earlier.at.duration(to: later.at)
            #expect(between >= gap * 0.75 && between <= gap * 1.25, "gap \(between), spread is \(gap) ± 25 %")
        }
        // The week after, each comes round again about a week after its last fetch.
        let next = Self.run(&schedule, from: Self.start.advanced(by: Self.week), until: Self.start.advanced(by: Self.week * 2))
        let last = Dictionary(pass.map { ($0.name, $0.at) }, uniquingKeysWith: max)
        for fetch in next where last[fetch.name] != nil {
            let since = last[fetch.name]!.duration(to: fetch.at)
            #expect(since >= Self.week * 0.75 && since <= Self.week * 1.6, "\(fetch.name) again after \(since)")
        }
    }

    @Test func requestsGoFirstAndAskingTwiceQueuesOnce() {
        var schedule = ScrapeSchedule(seed: 1)
        for index in 0..<5 { schedule.add("due_\(index)", lastFetched: nil, now: Self.start) }
        let voter = UUID()
        #expect(schedule.request("Wanted", by: voter, now: Self.start) == .queued(place: 1))
        #expect(schedule.request("wanted", by: voter, now: Self.start) == .queued(place: 1), "names are case-insensitive")
        #expect(schedule.request("other", by: voter, now: Self.start) == .queued(place: 2))
        #expect(schedule.next(now: Self.start) == .fetch("Wanted"), "fetched as first asked for")
        #expect(schedule.request("wanted", by: UUID(), now: Self.start) == .fetching)
        schedule.finished("wanted", outcome: .fetched(changed: true), now: Self.start)
        #expect(schedule.request("wanted", by: voter, now: Self.start.advanced(by: .seconds(60))) == .fresh)
        #expect(schedule.next(now: Self.start) == .fetch("other"), "a request before any scheduled refresh")
        schedule.finished("other", outcome: .notFound, now: Self.start)
        guard case .fetch(let name) = schedule.next(now: Self.start) else { Issue.record("a due profile is fetched"); return }
        #expect(name.hasPrefix("due_"))
    }

    @Test func aProfileOnlyAskedForIsReadOnceAndForgottenUnlessTheLogKnowsIt() {
        var schedule = ScrapeSchedule(seed: 5)
        #expect(schedule.request("ghost", by: UUID(), now: Self.start) == .queued(place: 1))
        #expect(schedule.next(now: Self.start) == .fetch("ghost"))
        schedule.finished("ghost", outcome: .notFound, now: Self.start)
        #expect(schedule.profile("ghost")?.outcome == .notFound, "its state is kept for the voter to see")
        #expect(schedule.next(now: Self.start.advanced(by: Self.week * 2)) == .idle, "never read again on the schedule")
        #expect(schedule.refreshed == 0 && schedule.due(at: Self.start.advanced(by: Self.week * 2)) == 0)
        _ = schedule.request("later", by: UUID(), now: Self.start.advanced(by: .seconds(86_401)))
        #expect(schedule.profile("ghost") == nil, "forgotten a day after it was read")

        #expect(schedule.next(now: Self.start.advanced(by: .seconds(86_401))) == .fetch("later"))
        schedule.finished("later", outcome: .fetched(changed: true), now: Self.start.advanced(by: .seconds(86_401)))
        schedule.add("later", lastFetched: nil, now: Self.start.advanced(by: .seconds(86_402)))
        #expect(schedule.refreshed == 1 && schedule.profile("later")?.due == Self.start.advanced(by: .seconds(86_401)).advanced(by: Self.week),
                "once its set is in the log it is kept fresh, a week after it was read")
    }

    @Test func aProfileTheLogKnowsIsFetchedUnderTheLogsSpellingSoItsSetKeepsItsOwner() {
        var schedule = ScrapeSchedule(seed: 6)
        #expect(schedule.request("davehehe", by: UUID(), now: Self.start) == .queued(place: 1))
        schedule.add("DaveHehe", lastFetched: Self.start.advanced(by: .seconds(-86_400)), now: Self.start)
        #expect(schedule.next(now: Self.start) == .fetch("DaveHehe"))
        schedule.finished("DaveHehe", outcome: .fetched(changed: false), now: Self.start)
        schedule.add("davehehe", lastFetched: nil, now: Self.start)
        #expect(schedule.profile("DAVEHEHE")?.name == "DaveHehe", "a claim or a users file does not respell it")
    }

    @Test func limitsPerVoterAndOverallAndAFullQueueRefuseWithAWait() {
        var settings = ScrapeSchedule.Settings()
        (settings.requestsPerVoter, settings.requestsOverall, settings.maximumQueued) = (3, 5, 4)
        settings.requestWindow = .seconds(3600)
        var schedule = ScrapeSchedule(settings: settings, seed: 2)
        let greedy = UUID()
        for index in 0..<3 {
            #expect(schedule.request("g\(index)", by: greedy, now: Self.start.advanced(by: .seconds(index))) == .queued(place: index + 1))
        }
        #expect(schedule.request("g3", by: greedy, now: Self.start.advanced(by: .seconds(10))) == .voterLimit(retryAfter: .seconds(3590)),
                "the first of the window's requests leaves it after an hour")
        #expect(schedule.request("h0", by: UUID(), now: Self.start.advanced(by: .seconds(10))) == .queued(place: 4))
        #expect(schedule.request("h1", by: UUID(), now: Self.start.advanced(by: .seconds(10))) == .busy(retryAfter: .seconds(60)), "the queue holds four")
        _ = schedule.next(now: Self.start.advanced(by: .seconds(10)))
        #expect(schedule.request("h1", by: UUID(), now: Self.start.advanced(by: .seconds(10))) == .queued(place: 4))
        #expect(schedule.request("h2", by: UUID(), now: Self.start.advanced(by: .seconds(20))) == .busy(retryAfter: .seconds(3580)),
                "five requests in the window from everyone together")
        #expect(schedule.request("g3", by: greedy, now: Self.start.advanced(by: .seconds(3601))) != .voterLimit(retryAfter: .zero))
    }

    @Test func aChallengePausesEverythingLongerEachTimeAndTheRequestKeepsItsPlace() {
        var settings = ScrapeSchedule.Settings()
        settings.challengePause = Backoff(base: .seconds(600), cap: .seconds(86_400))
        var schedule = ScrapeSchedule(settings: settings, seed: 3)
        schedule.add("refreshed", lastFetched: nil, now: Self.start)
        #expect(schedule.request("asked", by: UUID(), now: Self.start) == .queued(place: 1))
        #expect(schedule.next(now: Self.start) == .fetch("asked"))
        schedule.finished("asked", outcome: .blocked, now: Self.start)
        let paused = try! #require(schedule.pausedUntil)
        #expect(Self.start.duration(to: paused) >= .seconds(600))
        #expect(schedule.next(now: Self.start.advanced(by: .seconds(1))) == .wait(until: paused), "nothing at all is fetched while paused")
        #expect(schedule.place(of: "asked") == 1, "the request waits at the front")
        #expect(schedule.next(now: paused) == .fetch("asked"))
        schedule.finished("asked", outcome: .blocked, now: paused)
        let second = try! #require(schedule.pausedUntil)
        // Full jitter draws each pause below its ceiling; the ceiling doubles while challenges repeat.
        #expect(paused.duration(to: second) >= .seconds(600) && paused.duration(to: second) <= .seconds(1200))
        #expect(schedule.next(now: second) == .fetch("asked"))
        schedule.finished("asked", outcome: .fetched(changed: true), now: second)
        #expect(schedule.pausedUntil == nil && schedule.place(of: "asked") == nil)
        #expect(schedule.next(now: second) == .fetch("refreshed"), "a scheduled refresh blocked stays due")
    }

    @Test func aFailedFetchIsTriedAgainAfterABackoffThatGrows() {
        var settings = ScrapeSchedule.Settings()
        settings.retryAfterFailure = Backoff(base: .seconds(60), cap: .seconds(3600))
        var schedule = ScrapeSchedule(settings: settings, seed: 4)
        schedule.add("flaky", lastFetched: nil, now: Self.start)
        var now = Self.start
        var waits: [Duration] = []
        for _ in 0..<4 {
            #expect(schedule.next(now: now) == .fetch("flaky"))
            schedule.finished("flaky", outcome: .failed("fetch failed"), now: now)
            guard case .wait(let until) = schedule.next(now: now) else { Issue.record("waits after a failure"); return }
            waits.append(now.duration(to: until))
            now = until
        }
        #expect(waits.allSatisfy { $0 >= .seconds(60) && $0 <= .seconds(3600) })
        #expect(schedule.profile("flaky")?.failures == 4)
        #expect(schedule.next(now: now) == .fetch("flaky"))
        schedule.finished("flaky", outcome: .fetched(changed: false), now: now)
        #expect(schedule.profile("flaky")?.failures == 0 && schedule.profile("flaky")?.lastFetched == now)
    }

    @Test func aRunOf429sSlowsThePaceAndSuccessesBringItBack() {
        var pace = FetchPace(interval: .milliseconds(500), slowest: .seconds(60))
        for _ in 0..<4 { pace.rateLimited() }
        #expect(pace.interval == .seconds(8))
        for _ in 0..<10 { pace.rateLimited() }
        #expect(pace.interval == .seconds(60), "never slower than the slowest")
        var successes = 0
        while pace.interval > .milliseconds(500) {
            pace.succeeded()
            successes += 1
        }
        #expect(pace.interval == .milliseconds(500) && (15...25).contains(successes), "back after \(successes) pages")
    }
}
