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
