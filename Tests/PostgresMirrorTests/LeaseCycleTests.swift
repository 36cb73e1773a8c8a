import MovieMashCore
import PostgresMirror
import Testing
import TestSupport

/// The lease's decisions on a manual clock: no database, no sleeping.
@Suite struct LeaseCycleTests {
    typealias Cycle = LeaseCycle<ManualClock.Instant>
    let settings = try! Cycle.Settings(duration: .seconds(2), renewInterval: .milliseconds(400))
    let start = ManualClock.Instant(offset: .zero)

    @Test func aStandbyTriesToTakeTheLeaseAtOnceAndAgainEachRenewalIntervalWhileAnotherHoldsIt() {
        var cycle = Cycle(settings: settings, now: start)
        #expect(cycle.tick(now: start) == [.takeOver])
        cycle.held(now: start)
        #expect(cycle.tick(now: start.advanced(by: .milliseconds(100))) == [.wait(until: start.advanced(by: .milliseconds(400)))])
        #expect(cycle.tick(now: start.advanced(by: .milliseconds(400))) == [.takeOver])
        #expect(cycle.role == .standby && cycle.validUntil == nil)
    }

    @Test func aFailedAttemptLeavesAStandbyStandingByUntilTheNextInterval() {
        var cycle = Cycle(settings: settings, now: start)
        _ = cycle.tick(now: start)
        #expect(cycle.failed(now: start.advanced(by: .milliseconds(50))) == [])
        #expect(cycle.tick(now: start.advanced(by: .milliseconds(100))) == [.wait(until: start.advanced(by: .milliseconds(450)))])
        #expect(cycle.role == .standby)
    }

    @Test func takingTheLeaseLeadsUnderItsEpochWithTheLeaseCountedFromTheRequestsSending() {
        var cycle = Cycle(settings: settings, now: start)
        _ = cycle.tick(now: start)
        #expect(cycle.tookOver(epoch: 7, sentAt: start.advanced(by: .milliseconds(10))) == [.lead(epoch: 7)])
        #expect(cycle.role == .leading(epoch: 7))
        #expect(cycle.validUntil == start.advanced(by: .milliseconds(2010)), "from when it was sent, not when the answer came")
        #expect(cycle.tick(now: start.advanced(by: .milliseconds(300))) == [.wait(until: start.advanced(by: .milliseconds(410)))])
        #expect(cycle.tick(now: start.advanced(by: .milliseconds(410))) == [.renew(epoch: 7)])
        #expect(cycle.tookOver(epoch: 8, sentAt: start) == [], "a leader does not take the lease again")
    }

    @Test func eachRenewalExtendsTheLeaseFromItsSending() {
        var cycle = Cycle(settings: settings, now: start)
        _ = cycle.tookOver(epoch: 1, sentAt: start)
        for step in 1...20 {
            let sent = start.advanced(by: .milliseconds(400 * step))
            #expect(cycle.tick(now: sent) == [.renew(epoch: 1)])
            cycle.renewed(sentAt: sent)
            #expect(cycle.validUntil == sent.advanced(by: .seconds(2)))
        }
        #expect(cycle.role == .leading(epoch: 1))
    }

    @Test func failedRenewalsAreRetriedSoonThenTheLeaderStepsDownWhenItsLeaseMayHaveEnded() {
        var cycle = Cycle(settings: settings, now: start)
        _ = cycle.tookOver(epoch: 3, sentAt: start)
        #expect(cycle.tick(now: start.advanced(by: .milliseconds(400))) == [.renew(epoch: 3)])
        #expect(cycle.failed(now: start.advanced(by: .milliseconds(500))) == [])
        #expect(cycle.tick(now: start.advanced(by: .milliseconds(550))) == [.wait(until: start.advanced(by: .milliseconds(600)))], "retried after a quarter interval")
        #expect(cycle.tick(now: start.advanced(by: .milliseconds(600))) == [.renew(epoch: 3)])
        let down = cycle.failed(now: start.advanced(by: .seconds(2)))
        guard case .stepDown(let epoch, _)? = down.first else {
            Issue.record("expected a step-down, got \(down)")
            return
        }
        #expect(epoch == 3 && cycle.role == .steppedDown(epoch: 3) && cycle.validUntil == nil)
        #expect(cycle.tick(now: start.advanced(by: .seconds(3))) == [], "a node that stepped down never leads again")
    }

    @Test func aLeaderThatMissedItsRenewalsStepsDownOnItsNextTickWhateverElseHappens() {
        var cycle = Cycle(settings: settings, now: start)
        _ = cycle.tookOver(epoch: 4, sentAt: start)
        // Paused for 5 s: the first tick after it is a step-down, not a renewal.
        let actions = cycle.tick(now: start.advanced(by: .seconds(5)))
        guard case .stepDown(4, _)? = actions.first else {
            Issue.record("expected a step-down, got \(actions)")
            return
        }
        cycle.renewed(sentAt: start.advanced(by: .seconds(5)))
        #expect(cycle.role == .steppedDown(epoch: 4) && cycle.validUntil == nil, "a late renewal's answer changes nothing")
    }

    @Test func aLeaderWhoseEpochWasTakenStepsDownAtOnce() {
        var cycle = Cycle(settings: settings, now: start)
        #expect(cycle.superseded(reason: "x") == [], "a standby has nothing to step down from")
        _ = cycle.tookOver(epoch: 5, sentAt: start)
        #expect(cycle.superseded(reason: "another node took the lease") == [.stepDown(epoch: 5, reason: "another node took the lease")])
        #expect(cycle.failed(now: start.advanced(by: .seconds(9))) == [])
    }

    @Test func settingsRefuseALeaseThatOneLateRenewalWouldEnd() {
        #expect(throws: ConfigurationError.self) { try Cycle.Settings(duration: .seconds(1), renewInterval: .milliseconds(600)) }
        #expect(throws: ConfigurationError.self) { try Cycle.Settings(duration: .zero, renewInterval: .zero) }
        #expect((try? Cycle.Settings(duration: .seconds(1), renewInterval: .milliseconds(500))) != nil)
    }
}
