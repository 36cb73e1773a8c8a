@testable import Gateway
import Testing

@Suite struct ConnectionDeadlineTests {
    @Test func oneTimerServesDeadlinesThatMoveLater() {
        var deadline = ConnectionDeadline<Int>()
        #expect(deadline.arm(until: 10, reason: .requestHeadTimeout) == .schedule(at: 10))
        // The head came at 3 (body due by 63), its end at 4, the response ended at 5 (idle until 65): the
        // timer set for 10 stays.
        #expect(deadline.arm(until: 63, reason: .bodyTimeout) == .none)
        deadline.disarm()
        #expect(deadline.arm(until: 65, reason: .idleTimeout) == .none)
        // At 10 it finds the idle deadline not yet due and moves to it.
        #expect(deadline.fired(now: 10) == .schedule(at: 65))
        #expect(deadline.timerAt == 65)
        #expect(deadline.fired(now: 65) == .timedOut(.idleTimeout))
        #expect(deadline.deadline == nil && deadline.timerAt == nil)
    }

    @Test func aTimerFiringWhileTheClientOwesNothingStops() {
        var deadline = ConnectionDeadline<Int>()
        _ = deadline.arm(until: 60, reason: .bodyTimeout)
        deadline.disarm()
        #expect(deadline.fired(now: 60) == .none)
        #expect(deadline.timerAt == nil)
        // The next deadline needs a timer again.
        #expect(deadline.arm(until: 130, reason: .idleTimeout) == .schedule(at: 130))
    }

    @Test func anEarlierDeadlineThanTheTimerReplacesIt() {
        var deadline = ConnectionDeadline<Int>()
        #expect(deadline.arm(until: 60, reason: .idleTimeout) == .schedule(at: 60))
        #expect(deadline.arm(until: 20, reason: .bodyTimeout) == .schedule(at: 20))
        #expect(deadline.fired(now: 20) == .timedOut(.bodyTimeout))
    }

    @Test func aDeadlineArmedAgainBeforeItIsMissedDoesNotTimeOut() {
        var deadline = ConnectionDeadline<Int>()
        _ = deadline.arm(until: 60, reason: .bodyTimeout)
        // A body part at 30 moves the deadline to 90; the timer at 60 must not end the connection.
        #expect(deadline.arm(until: 90, reason: .bodyTimeout) == .none)
        #expect(deadline.fired(now: 60) == .schedule(at: 90))
        #expect(deadline.fired(now: 90) == .timedOut(.bodyTimeout))
    }
}
