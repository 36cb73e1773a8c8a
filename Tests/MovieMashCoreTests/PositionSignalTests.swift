import MovieMashCore
import Synchronization
import Testing

@Suite struct PositionSignalTests {
    @Test func aWaitEndsWhenThePositionReachesItsTargetAndNotBefore() async {
        let signal = PositionSignal(position: 3)
        #expect(await signal.wait(until: 3), "already there")
        let woken = Atomic<Int>(0)
        let waiting = Task {
            let reached = await signal.wait(until: 10)
            woken.add(1, ordering: .relaxed)
            return reached
        }
        signal.advance(to: 9)
        signal.advance(to: 5)
        #expect(signal.position == 9, "never lowered")
        #expect(woken.load(ordering: .relaxed) == 0)
        signal.advance(to: 10)
        #expect(await waiting.value)
    }

    @Test func finishingOrCancellingEndsAWaitAsNotReached() async {
        let signal = PositionSignal()
        let finished = Task { await signal.wait(until: 1) }
        let cancelled = Task { await signal.wait(until: 1) }
        cancelled.cancel()
        #expect(await cancelled.value == false)
        signal.finish()
        #expect(await finished.value == false)
        #expect(await signal.wait(until: 1) == false, "a finished signal answers at once")
    }

    @Test func waitingOnSeveralNeedsEveryOneWithinTheBound() async {
        let (a, b) = (PositionSignal(position: 7), PositionSignal(position: 2))
        #expect(await PositionSignal.wait(for: [a, b], until: 5, within: .milliseconds(50)) == false, "b stays behind")
        let both = Task { await PositionSignal.wait(for: [a, b], until: 5, within: .seconds(600)) }
        b.advance(to: 5)
        #expect(await both.value)
    }
}
