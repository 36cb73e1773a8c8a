@testable import EventLog
import Testing
import TestSupport

@Suite struct WriterStateMachineTests {
    /// A round with company gathers the next one (appenders it woke queue up again first); after a lone
    /// round the next is written at once, so a single appender does not wait for company it lacks.
    @Test func roundsGatherOnlyAfterARoundWithCompany() {
        var machine = Machine(policy: .always)
        #expect(machine.queued() == .write(sync: true, gather: false), "the first round has no history")
        #expect(machine.roundWritten(records: 1, dirty: false, moreQueued: true, now: clock.now) == [.write(sync: true, gather: false)])
        #expect(machine.roundWritten(records: 12, dirty: false, moreQueued: true, now: clock.now) == [.write(sync: true, gather: true)])
        #expect(machine.roundWritten(records: 3, dirty: false, moreQueued: false, now: clock.now) == [])
        #expect(machine.queued() == .write(sync: true, gather: true), "after a busy round, an idle writer still gathers")
        #expect(machine.roundWritten(records: 1, dirty: false, moreQueued: false, now: clock.now) == [])
        #expect(machine.queued() == .write(sync: true, gather: false))
    }

    typealias Machine = WriterStateMachine<ManualClock.Instant>
    let clock = ManualClock()

    @Test(arguments: [EventLog.FsyncPolicy.always, .never, .interval(milliseconds: 5)])
    func theFirstAppendStartsARoundAndLaterOnesJoinTheNext(policy: EventLog.FsyncPolicy) {
        var machine = Machine(policy: policy)
        #expect(machine.refusal == nil)
        #expect(machine.queued() == .write(sync: policy == .always, gather: false))
        #expect(machine.queued() == nil, "a round is in progress: the append waits for the next")
        #expect(machine.roundWritten(records: 1, dirty: policy != .always, moreQueued: true, now: clock.now).contains(.write(sync: policy == .always, gather: false)))
        #expect(machine.roundWritten(records: 1, dirty: false, moreQueued: false, now: clock.now) == [])
        #expect(machine.state == .idle)
        #expect(machine.queued() == .write(sync: policy == .always, gather: false))
    }

    @Test func anIntervalPolicySchedulesOneSyncPerIntervalAfterADirtyRound() {
        var machine = Machine(policy: .interval(milliseconds: 20))
        _ = machine.queued()
        #expect(machine.roundWritten(records: 1, dirty: true, moreQueued: true, now: clock.now)
            == [.scheduleSync(at: clock.now.advanced(by: .milliseconds(20))), .write(sync: false, gather: false)])
        clock.advance(by: .milliseconds(5))
        #expect(machine.roundWritten(records: 1, dirty: true, moreQueued: false, now: clock.now) == [], "one sync is already due")
        #expect(machine.syncDue() == .sync)
        _ = machine.queued()
        #expect(machine.roundWritten(records: 1, dirty: true, moreQueued: false, now: clock.now)
            == [.scheduleSync(at: clock.now.advanced(by: .milliseconds(20)))])
    }

    @Test func neverAndAlwaysScheduleNoSync() {
        for policy in [EventLog.FsyncPolicy.always, .never] {
            var machine = Machine(policy: policy)
            _ = machine.queued()
            #expect(machine.roundWritten(records: 1, dirty: policy == .never, moreQueued: false, now: clock.now) == [])
        }
    }

    @Test func aFailedWriteFailsTheQueueAndRefusesEveryLaterAppend() {
        var machine = Machine(policy: .always)
        _ = machine.queued()
        let error = EventLogError(.io, "no space left", errno: 28)
        #expect(machine.failed(error) == [.failQueued(error)])
        #expect(machine.refusal == error)
        #expect(machine.queued() == nil)
        #expect(machine.roundWritten(records: 1, dirty: false, moreQueued: true, now: clock.now) == [])
        #expect(machine.failed(EventLogError(.io, "again")) == [], "the first failure is the one reported")
        #expect(machine.syncDue() == nil, "nothing is synced on a failed writer")
        #expect(machine.closeRequested() == [.finishClose(sync: false)])
    }

    @Test func aFailedSyncFailsTheWriterToo() {
        var machine = Machine(policy: .interval(milliseconds: 1))
        #expect(machine.syncDue() == .sync)
        let error = EventLogError(.io, "EIO on fdatasync", errno: 5)
        #expect(machine.failed(error) == [.failQueued(error)])
        #expect(machine.refusal == error)
    }

    @Test func closingWhenIdleSyncsAtOnce() {
        var machine = Machine(policy: .never)
        #expect(machine.closeRequested() == [.finishClose(sync: true)])
        #expect(machine.state == .closed)
        #expect(machine.refusal?.code == .closed)
        #expect(machine.closeRequested() == [], "a second close does nothing more")
    }

    @Test func closingWaitsForTheQueuedAppendsThenSyncs() {
        var machine = Machine(policy: .always)
        _ = machine.queued()
        #expect(machine.closeRequested() == [])
        #expect(machine.refusal?.code == .closed, "no new appends once closing")
        #expect(machine.queued() == nil)
        #expect(machine.roundWritten(records: 1, dirty: false, moreQueued: true, now: clock.now) == [.write(sync: true, gather: false)], "appends queued before the close are written")
        #expect(machine.roundWritten(records: 1, dirty: false, moreQueued: false, now: clock.now) == [.finishClose(sync: true)])
        #expect(machine.state == .closed)
    }

    @Test func aFailureWhileClosingFinishesTheCloseWithoutSyncing() {
        var machine = Machine(policy: .always)
        _ = machine.queued()
        _ = machine.closeRequested()
        let error = EventLogError(.io, "disk gone")
        #expect(machine.failed(error) == [.failQueued(error), .finishClose(sync: false)])
        #expect(machine.state == .closed)
    }
}

@Suite struct WriterHealingStateTests {
    typealias Machine = WriterStateMachine<ManualClock.Instant>
    let error = EventLogError(.io, "pwrite failed", errno: 28)

    @Test func onlyAFailedWriterHealsAndAppendsAreRefusedUntilItHas() {
        var machine = Machine(policy: .always)
        #expect(machine.healRequested() == false, "a writer that has not failed has nothing to heal")
        #expect(machine.status == .up)
        _ = machine.queued()
        _ = machine.failed(error)
        #expect(machine.status == .failed(error))
        #expect(machine.healRequested() == true)
        #expect(machine.status == .healing(error))
        #expect(machine.healRequested() == false, "one heal at a time")
        #expect(machine.refusal == error, "appends are refused while healing")
        #expect(machine.queued() == nil)
        #expect(machine.failed(EventLogError(.io, "a late sync")) == [], "a failure while healing is the heal's to report")
        #expect(machine.syncDue() == nil)
        #expect(machine.healed() == [])
        #expect(machine.status == .up && machine.refusal == nil)
        #expect(machine.queued() == .write(sync: true, gather: false))
    }

    @Test func aFailedHealLeavesTheWriterFailedForTheNewReason() {
        var machine = Machine(policy: .never)
        _ = machine.failed(error)
        #expect(machine.healRequested() == true)
        let still = EventLogError(.belowReserve, "still full")
        #expect(machine.healFailed(still) == [])
        #expect(machine.status == .failed(still) && machine.refusal == still)
        #expect(machine.healRequested() == true, "and it may try again")
    }

    @Test func aCloseDuringHealingWaitsForItThenClosesAsTheHealEnded() {
        for healed in [true, false] {
            var machine = Machine(policy: .always)
            _ = machine.failed(error)
            #expect(machine.healRequested() == true)
            #expect(machine.closeRequested() == [], "the heal owns the file until it ends")
            #expect(machine.status == .closed)
            let actions = healed ? machine.healed() : machine.healFailed(error)
            #expect(actions == [.finishClose(sync: healed)])
            #expect(machine.healRequested() == false)
        }
    }
}
