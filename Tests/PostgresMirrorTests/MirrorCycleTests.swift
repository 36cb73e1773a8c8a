import EventLog
import Foundation
import MovieMashCore
@testable import PostgresMirror
import Testing
import TestSupport

@Suite struct MirrorCycleTests {
    var random = SplitMix64(seed: 7)
    let retry = Backoff(base: .milliseconds(100), cap: .seconds(1))

    static func waits(_ actions: [MirrorCycle.Action]) -> [Duration] {
        actions.compactMap { if case .wait(let duration) = $0 { duration } else { nil } }
    }

    @Test mutating func aSessionConnectsTakesTheLockAndReportsCatchingUpAndCaughtUpOncePerChange() {
        var cycle = MirrorCycle(retry: retry)
        #expect(cycle.start() == [.report(.connecting), .connect])
        #expect(cycle.lockTaken() == [])
        #expect(cycle.behind(lagEvents: 50_000) == [.report(.catchingUp)])
        #expect(cycle.behind(lagEvents: 30_000) == [], "the same state is not reported again")
        #expect(cycle.caughtUp() == [.report(.caughtUp)])
        #expect(cycle.caughtUp() == [])
        for _ in 0..<100 {
            #expect(cycle.behind(lagEvents: 40) == [], "a live stream's next batch is not news")
            #expect(cycle.state == .catchingUp)
            #expect(cycle.caughtUp() == [])
        }
        #expect(cycle.behind(lagEvents: 10_001) == [.report(.catchingUp)], "falling behind by more than the bound is")
        #expect(cycle.caughtUp() == [.report(.caughtUp)])
        #expect(cycle.stopped() == [.report(.stopped)])
    }

    @Test mutating func aBusyLockIsWaitedForWithGrowingCappedPauses() {
        var cycle = MirrorCycle(retry: retry, lockWait: Backoff(base: .milliseconds(50), cap: .milliseconds(200)))
        _ = cycle.start()
        let first = cycle.lockBusy(using: &random)
        #expect(first.first == .report(.waitingForLock))
        var waits = Self.waits(first)
        for _ in 0..<6 {
            let again = cycle.lockBusy(using: &random)
            #expect(!again.contains(.report(.waitingForLock)))
            waits += Self.waits(again)
        }
        #expect(waits.count == 7 && waits.allSatisfy { $0 >= .zero && $0 <= .milliseconds(200) })
        #expect(waits[0] <= .milliseconds(50))
    }

    @Test mutating func anOutageIsOneWarningAndReconnectingIsQuiet() {
        var cycle = MirrorCycle(retry: retry)
        _ = cycle.start()
        let down = MirrorError(.unreachable, "connection refused")
        let first = cycle.failed(down, using: &random)
        #expect(first.first == .report(.retrying("connection refused")))
        #expect(Self.waits(first).count == 1)
        for _ in 0..<5 {
            #expect(cycle.start() == [.connect], "reconnecting while retrying reports nothing")
            let again = cycle.failed(down, using: &random)
            #expect(Self.waits(again).count == 1 && !again.contains { if case .report = $0 { true } else { false } })
        }
        #expect(cycle.failedAttempts == 6)
        let other = cycle.failed(MirrorError(.query, "statement timeout"), using: &random)
        #expect(other.first == .report(.retrying("statement timeout")), "a new cause is reported")
        _ = cycle.start()
        _ = cycle.lockTaken()
        #expect(cycle.behind(lagEvents: 1) == [.report(.catchingUp)], "being back is reported")
    }

    @Test mutating func theBackoffGrowsToItsCapAndStartsOverAfterASessionThatMirrored() {
        var cycle = MirrorCycle(retry: Backoff(base: .seconds(1), cap: .seconds(8)))
        var ceilings: [Duration] = []
        for _ in 0..<6 {
            _ = cycle.start()
            ceilings += Self.waits(cycle.failed(MirrorError(.unreachable, "down"), using: &random))
        }
        #expect(ceilings.allSatisfy { $0 <= .seconds(8) })
        #expect(ceilings[0] <= .seconds(1) && ceilings[1] <= .seconds(2) && ceilings[2] <= .seconds(4))
        _ = cycle.start()
        _ = cycle.lockTaken()
        let afterMirroring = Self.waits(cycle.failed(MirrorError(.unreachable, "down"), using: &random))
        #expect(afterMirroring.count == 1 && afterMirroring[0] <= .seconds(1), "a session that mirrored resets the backoff")
    }

    @Test mutating func aPermanentFailureStopsWithoutRetrying() {
        var cycle = MirrorCycle(retry: retry)
        _ = cycle.start()
        let wrongLog = MirrorError(.foreignEvents, "it mirrors another log")
        #expect(cycle.failed(wrongLog, using: &random) == [.report(.stopped), .stop(wrongLog)])
        #expect(cycle.failedAttempts == 0)
    }
}

@Suite struct MirrorLagTests {
    /// By the mirror's clocks, moved by hand: the lag is the exact age of the oldest unmirrored event,
    /// before any connection, and a retry comes when the clock has passed the backoff (its jitter at most
    /// the cap), not before the clock moves.
    @Test func theLagIsTheAgeOfTheOldestUnmirroredEventAndRetriesWaitByTheClock() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let start = Timestamp(milliseconds: 1_800_000_000_000)
        let log = try await writeLog(sampleRecords(votes: 50, sets: 20, start: start), to: directory.path)
        // Nothing listens there: the mirror never reaches PostgreSQL.
        let url = try PostgresURL("postgres://mirror@127.0.0.1:\(try freePort())/nowhere")
        var configuration = PostgresMirror.Configuration()
        configuration.backoff = Backoff(base: .seconds(10), cap: .seconds(10))
        let clock = ManualClock()
        let mirror = PostgresMirror(
            log: log, url: url, configuration: configuration, logger: PostgresTesting.logger, clock: clock,
            now: { start.advanced(by: .milliseconds(30_000) + clock.now.offset) })
        let running = Task { try await mirror.run() }
        #expect(try await eventually { clock.sleepers == 1 && mirror.status.failedAttempts == 1 })
        let status = mirror.status
        #expect(status.nextPosition == 0 && status.lagEvents == log.endPosition)
        let first = try #require(try log.read(from: 0, limit: 1).first).record.timestamp
        let age = start.milliseconds + 30_000 - first
        #expect(status.lagSeconds == Double(age) / 1000 && age > 25_000, "the first event is about 30 s old, not 0")
        clock.advance(by: .seconds(10))
        #expect(try await eventually { mirror.status.failedAttempts == 2 && clock.sleepers == 1 }, "retried once the backoff is over")
        #expect(mirror.status.lagSeconds == Double(age + 10_000) / 1000)
        running.cancel()
        _ = try? await running.value
        try await log.close()
    }
}
