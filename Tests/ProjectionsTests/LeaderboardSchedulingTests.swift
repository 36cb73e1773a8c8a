@testable import Projections
import Testing

@Suite struct LeaderboardSchedulingTests {
    @Test func fitsYieldUnlessTheFirstOrAfterAStarvedOne() {
        let priority = { (previous: Duration?) in LeaderboardService.priority(previousFit: previous, maximumStaleness: .seconds(60)) }
        #expect(priority(nil) == .normal)
        #expect(priority(.seconds(5)) == .low)
        #expect(priority(.seconds(60)) == .low)
        #expect(priority(.seconds(61)) == .normal)
    }

    @Test func pausesKeepTheShareButNeverExceedTheStalenessBound() {
        let pause = { (took: Duration) in
            LeaderboardService.pause(after: took, interval: .seconds(5), idleFactor: 9, maximumStaleness: .seconds(60))
        }
        #expect(pause(.milliseconds(100)) == .seconds(5))
        #expect(pause(.seconds(2)) == .seconds(18))
        // A fit starved for minutes must not push the next one further away still.
        #expect(pause(.seconds(300)) == .seconds(60))
        #expect(LeaderboardService.pause(after: .seconds(1), interval: .seconds(5), idleFactor: 9, maximumStaleness: .seconds(1)) == .seconds(5))
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
