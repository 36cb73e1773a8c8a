@testable import Projections
import Testing
import TestSupport

@Suite struct RefitPacingTests {
    typealias Pacing = RefitPacing<ManualClock.Instant>
    let clock = ManualClock()
    let configuration = Pacing.Configuration(interval: .seconds(5), idleFactor: 9, maximumStaleness: .seconds(60))

    @Test func fitsYieldUnlessTheFirstOrAfterAStarvedOne() {
        let priority = { (previous: Duration?) in Pacing.priority(previousFit: previous, maximumStaleness: .seconds(60)) }
        #expect(priority(nil) == .normal)
        #expect(priority(.seconds(5)) == .low)
        #expect(priority(.seconds(60)) == .low)
        #expect(priority(.seconds(61)) == .normal)
    }

    @Test func pausesKeepTheShareButNeverExceedTheStalenessBound() {
        let pause = { (took: Duration) in Pacing.pause(after: took, configuration: configuration) }
        #expect(pause(.milliseconds(100)) == .seconds(5))
        #expect(pause(.seconds(2)) == .seconds(18))
        // A fit starved for minutes must not push the next one further away still.
        #expect(pause(.seconds(300)) == .seconds(60))
        #expect(Pacing.pause(after: .seconds(1), configuration: .init(interval: .seconds(5), idleFactor: 9, maximumStaleness: .seconds(1))) == .seconds(5))
    }

    @Test func newVotesAreFittedAndTheNextLookWaitsForTheFitsShare() {
        var pacing = Pacing(configuration: configuration)
        #expect(pacing.check(votes: 0, items: 0, now: clock.now) == .fit(.normal), "the first fit, even of nothing: readiness waits for it")
        #expect(pacing.fitFinished(now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(5))))
        #expect(pacing.check(votes: 0, items: 0, now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(5))), "nothing new, nothing to fit")
        #expect(pacing.check(votes: 10, items: 4, now: clock.now) == .fit(.low))
        clock.advance(by: .seconds(2))
        #expect(pacing.fitFinished(now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(18))))
        #expect(pacing.lastFitTook == .seconds(2))
        clock.advance(by: .seconds(18))
        #expect(pacing.check(votes: 10, items: 4, now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(5))), "no new votes: no fit")
        #expect(pacing.check(votes: 10, items: 5, now: clock.now) == .fit(.low), "a new set, no new votes: it must reach the leaderboards")
        #expect(pacing.fitFinished(now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(5))))
        #expect(pacing.check(votes: 11, items: 5, now: clock.now) == .fit(.low))
        clock.advance(by: .seconds(90))
        #expect(pacing.fitFinished(now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(60))), "never past the staleness bound")
        #expect(pacing.check(votes: 12, items: 5, now: clock.now) == .fit(.normal), "after a starved fit, the next runs at normal priority")
    }

    @Test func whileVotesPourInFitsStartOnlyEveryBusyInterval() {
        var pacing = Pacing(configuration: configuration)
        let start = clock.now
        #expect(pacing.check(votes: 0, items: 10, now: clock.now) == .fit(.normal))
        clock.advance(by: .seconds(1))
        #expect(pacing.fitFinished(now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(9))))
        clock.advance(by: .seconds(9))
        // 20 000 votes in the 10 s since the last fit started: 2 000 a second, busy.
        #expect(pacing.check(votes: 20_000, items: 10, now: clock.now) == .wait(until: start.advanced(by: .seconds(30))))
        clock.advance(by: .seconds(20))
        #expect(pacing.check(votes: 60_000, items: 11, now: clock.now) == .fit(.low), "30 s after the last fit started")
        let second = clock.now
        clock.advance(by: .seconds(1))
        _ = pacing.fitFinished(now: clock.now)
        clock.advance(by: .seconds(9))
        // 9 000 votes in 10 s: below 1 000 a second, so the fit is not held back.
        #expect(pacing.check(votes: 69_000, items: 11, now: clock.now) == .fit(.low))
        #expect(second.advanced(by: .seconds(10)) == clock.now)
    }

    @Test func theBusyIntervalNeverExceedsTheStalenessBound() {
        var pacing = Pacing(configuration: .init(interval: .seconds(5), idleFactor: 9, maximumStaleness: .seconds(20)))
        let start = clock.now
        _ = pacing.check(votes: 0, items: 1, now: clock.now)
        clock.advance(by: .seconds(10))
        _ = pacing.fitFinished(now: clock.now)
        #expect(pacing.check(votes: 1_000_000, items: 1, now: clock.now) == .wait(until: start.advanced(by: .seconds(20))))
    }
}

@Suite struct PublishPacingTests {
    @Test func publishesWhenCaughtUpOrDueAndGathersBurstsRightAfterAPublish() {
        let start = ContinuousClock.now
        var pacing = PublishPacing(interval: .milliseconds(50), now: start)
        // Caught up with nothing new: publish (a quiet log shows its last state at once).
        #expect(pacing.step(applied: 0, caughtUp: true, now: start + .milliseconds(10)) == .publish)
        // Caught up after a few events, 10 ms after the last publish: gather the rest of the 50 ms.
        #expect(pacing.step(applied: 3, caughtUp: true, now: start + .milliseconds(10)) == .gather(for: .milliseconds(40)))
        #expect(pacing.step(applied: 3, caughtUp: true, now: start + .milliseconds(50)) == .publish)
        // Catching up (a full round): keep applying until the interval has passed.
        #expect(pacing.step(applied: 4096, caughtUp: false, now: start + .milliseconds(49)) == .keepApplying)
        #expect(pacing.step(applied: 4096, caughtUp: false, now: start + .milliseconds(50)) == .publish)
        pacing.published(at: start + .milliseconds(60))
        #expect(pacing.step(applied: 1, caughtUp: true, now: start + .milliseconds(70)) == .gather(for: .milliseconds(40)))
        #expect(pacing.step(applied: 4096, caughtUp: false, now: start + .milliseconds(100)) == .keepApplying)
    }
}
