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
        #expect(pacing.check(FitCoverage(votes: 0, sets: 0, films: 0), now: clock.now) == .fit(.normal), "the first fit, even of nothing: readiness waits for it")
        #expect(pacing.fitFinished(now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(5))))
        #expect(pacing.check(FitCoverage(votes: 0, sets: 0, films: 0), now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(5))), "nothing new, nothing to fit")
        #expect(pacing.check(FitCoverage(votes: 10, sets: 4, films: 0), now: clock.now) == .fit(.low))
        clock.advance(by: .seconds(2))
        #expect(pacing.fitFinished(now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(18))))
        #expect(pacing.lastFitTook == .seconds(2))
        clock.advance(by: .seconds(18))
        #expect(pacing.check(FitCoverage(votes: 10, sets: 4, films: 0), now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(5))), "no new votes: no fit")
        #expect(pacing.check(FitCoverage(votes: 10, sets: 5, films: 0), now: clock.now) == .fit(.low), "a new set, no new votes: it must reach the leaderboards")
        #expect(pacing.fitFinished(now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(5))))
        #expect(pacing.check(FitCoverage(votes: 11, sets: 5, films: 0), now: clock.now) == .fit(.low))
        clock.advance(by: .seconds(90))
        #expect(pacing.fitFinished(now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(60))), "never past the staleness bound")
        #expect(pacing.check(FitCoverage(votes: 12, sets: 5, films: 0), now: clock.now) == .fit(.normal), "after a starved fit, the next runs at normal priority")
    }

    @Test func whileVotesPourInFitsStartOnlyEveryBusyInterval() {
        var pacing = Pacing(configuration: configuration)
        let start = clock.now
        #expect(pacing.check(FitCoverage(votes: 0, sets: 10, films: 0), now: clock.now) == .fit(.normal))
        clock.advance(by: .seconds(1))
        #expect(pacing.fitFinished(now: clock.now) == .wait(until: clock.now.advanced(by: .seconds(9))))
        clock.advance(by: .seconds(9))
        // 20 000 votes in the 10 s since the last fit started: 2 000 a second, busy.
        #expect(pacing.check(FitCoverage(votes: 20_000, sets: 10, films: 0), now: clock.now) == .wait(until: start.advanced(by: .seconds(30))))
        clock.advance(by: .seconds(20))
        #expect(pacing.check(FitCoverage(votes: 60_000, sets: 11, films: 0), now: clock.now) == .fit(.low), "30 s after the last fit started")
        let second = clock.now
        clock.advance(by: .seconds(1))
        _ = pacing.fitFinished(now: clock.now)
        clock.advance(by: .seconds(9))
        // 9 000 votes in 10 s: below 1 000 a second, so the fit is not held back.
        #expect(pacing.check(FitCoverage(votes: 69_000, sets: 11, films: 0), now: clock.now) == .fit(.low))
        #expect(second.advanced(by: .seconds(10)) == clock.now)
    }

    @Test func theBusyIntervalNeverExceedsTheStalenessBound() {
        var pacing = Pacing(configuration: .init(interval: .seconds(5), idleFactor: 9, maximumStaleness: .seconds(20)))
        let start = clock.now
        _ = pacing.check(FitCoverage(votes: 0, sets: 1, films: 0), now: clock.now)
        clock.advance(by: .seconds(10))
        _ = pacing.fitFinished(now: clock.now)
        #expect(pacing.check(FitCoverage(votes: 1_000_000, sets: 1, films: 0), now: clock.now) == .wait(until: start.advanced(by: .seconds(20))))
    }
}

@Suite struct PublishPacingTests {
    let clock = ManualClock()

    @Test func publishesAtMostEveryIntervalAndNamesWhenTheRestIsDue() {
        let start = clock.now
        var pacing = PublishPacing(interval: .milliseconds(50), now: start)
        #expect(pacing.step(unpublished: false, now: start.advanced(by: .seconds(9))) == .idle, "nothing new, nothing to do")
        // Events 10 ms after the last publish: they wait for the rest of the 50 ms, whether more come or not.
        #expect(pacing.step(unpublished: true, now: start.advanced(by: .milliseconds(10))) == .wait(until: start.advanced(by: .milliseconds(50))))
        #expect(pacing.step(unpublished: true, now: start.advanced(by: .milliseconds(50))) == .publish)
        pacing.published(at: start.advanced(by: .milliseconds(60)))
        #expect(pacing.step(unpublished: true, now: start.advanced(by: .milliseconds(70))) == .wait(until: start.advanced(by: .milliseconds(110))))
        #expect(pacing.step(unpublished: true, now: start.advanced(by: .milliseconds(200))) == .publish)
    }

    @Test func publishesSeldomWhileBehindTheSourcesEnd() {
        let start = clock.now
        let pacing = PublishPacing(interval: .milliseconds(25), behindInterval: .milliseconds(250), now: start)
        #expect(pacing.step(unpublished: true, behind: true, now: start.advanced(by: .milliseconds(30))) == .wait(until: start.advanced(by: .milliseconds(250))))
        #expect(pacing.step(unpublished: true, behind: true, now: start.advanced(by: .milliseconds(250))) == .publish)
        #expect(pacing.step(unpublished: true, behind: false, now: start.advanced(by: .milliseconds(30))) == .publish, "at the end again: the short interval")
        let slow = PublishPacing(interval: .seconds(1), behindInterval: .milliseconds(250), now: start)
        #expect(slow.step(unpublished: true, behind: true, now: start.advanced(by: .milliseconds(300))) == .wait(until: start.advanced(by: .seconds(1))), "never sooner than at the end")
    }
}

@Suite struct FitRetentionTests {
    let clock = ManualClock()

    @Test func aReplacedFitIsServedForTheRetentionAfterItWasReplaced() {
        var retention = FitRetention<ManualClock.Instant>(retention: .seconds(600))
        #expect(retention.replaced(10, at: clock.now).isEmpty)
        #expect(retention.serves(10, now: clock.now) && !retention.serves(11, now: clock.now))
        clock.advance(by: .seconds(300))
        #expect(retention.replaced(20, at: clock.now).isEmpty)
        clock.advance(by: .seconds(300))
        #expect(retention.serves(10, now: clock.now), "exactly the retention after it was replaced: still served")
        clock.advance(by: .milliseconds(1))
        #expect(!retention.serves(10, now: clock.now) && retention.serves(20, now: clock.now), "past it, gone even before the next fit")
        #expect(retention.expire(now: clock.now) == [10])
        #expect(retention.kept.map(\.id) == [20])
    }

    @Test func atMostSixteenFitsAreServedOldestDroppedFirst() {
        var retention = FitRetention<ManualClock.Instant>(retention: .seconds(600))
        var dropped: [UInt64] = []
        for id in UInt64(1)...20 {
            dropped += retention.replaced(id, at: clock.now)
            clock.advance(by: .seconds(1))
        }
        // The newest fit (21, say) plus fifteen replaced ones.
        #expect(retention.kept.map(\.id) == Array(6...20) && dropped == [1, 2, 3, 4, 5])
    }

    @Test func aFitIsCurrentWhenItCoversWhatTheCountsHold() {
        let counts = FitCoverage(votes: 10, sets: 4, films: 16)
        #expect(FitCoverage.freshness(served: nil, counts: counts) == .pending)
        #expect(FitCoverage.freshness(served: counts, counts: counts) == .current)
        #expect(FitCoverage.freshness(served: FitCoverage(votes: 10, sets: 3, films: 16), counts: counts) == .updating, "a new set")
        #expect(FitCoverage.freshness(served: FitCoverage(votes: 9, sets: 4, films: 16), counts: counts) == .updating, "a new vote")
        #expect(FitCoverage.standing(served: counts, position: 100, counts: counts, countedTo: 180) == (.current, 0),
                "registrations after the fit leave it current")
        #expect(FitCoverage.standing(served: FitCoverage(votes: 9, sets: 4, films: 16), position: 100, counts: counts, countedTo: 180) == (.updating, 80))
    }
}
