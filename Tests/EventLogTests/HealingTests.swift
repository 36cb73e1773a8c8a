import Foundation
import Testing
import TestSupport

@testable import EventLog

/// A writer that failed heals without a restart: injected write and sync failures, a failed roll and a
/// free-space reserve, on real files.
@Suite struct HealingTests {
    private func configuration(_ faults: FaultInjection, fsync: EventLog.FsyncPolicy = .always) -> EventLog.Configuration {
        var configuration = EventLog.Configuration()
        configuration.fsync = fsync
        configuration.faults = faults
        return configuration
    }

    /// Reopens the closed log at `path` and checks it holds exactly `records`, at dense positions from 0.
    private func expectLog(at path: String, holds records: [LogRecord]) throws {
        let reopened = try EventLog(directory: path, mode: .readOnly)
        let stored = try reopened.read(from: 0)
        #expect(stored.map(\.record) == records)
        #expect(stored.map(\.position) == Array(0..<UInt64(records.count)))
        let report = try EventLog.verify(directory: path)
        #expect(report.isHealthy && report.segments.allSatisfy { $0.tornTailBytes == 0 && $0.indexMatches })
    }

    @Test(arguments: [FaultInjection.Fault.shortWrite(bytes: 11), .writeFails(), .syncFails()])
    func aFailedWriteOrSyncIsCutBackAndHealedLosingNothingAcknowledged(fault: FaultInjection.Fault) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let faults = FaultInjection()
        let log = try EventLog(directory: directory.path, configuration: configuration(faults))
        let records = RecordBuilder.records(60, seed: 5)
        _ = try await log.append(contentsOf: Array(records[..<40]))
        let bytesBefore = log.segments.last!.bytes
        faults.inject(fault)
        await #expect(throws: EventLogError.self) { _ = try await log.append(records[40]) }
        guard case .failed(let reason) = log.writerStatus else {
            Issue.record("the writer should have failed, it is \(log.writerStatus)")
            return
        }
        #expect(reason.code == .writerFailed)
        #expect(log.writerFailures == 1)
        let refused = await #expect(throws: EventLogError.self) { _ = try await log.append(records[41]) }
        #expect(refused?.code == .writerFailed, "every append is refused until the log heals")
        #expect(log.endPosition == 40, "the failed batch was never acknowledged nor shown to readers")

        try await log.heal()
        #expect(log.writerStatus == .up)
        #expect(log.segments.last!.bytes == bytesBefore)
        let positions = try await log.append(contentsOf: Array(records[40...]))
        #expect(positions == Array(40..<60), "positions stay dense: the failed batch left no gap")
        try await log.close()
        try expectLog(at: directory.path, holds: records)
    }

    @Test func aFailedIntervalSyncRewritesWhatWasWrittenSinceTheLastGoodSync() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let faults = FaultInjection()
        let log = try EventLog(directory: directory.path, configuration: configuration(faults, fsync: .interval(milliseconds: 5)))
        let records = RecordBuilder.records(30, seed: 6)
        faults.inject(.syncFails())
        // Acknowledged once written, before the sync that is going to fail.
        _ = try await log.append(contentsOf: Array(records[..<20]))
        #expect(try await eventually { log.writerStatus.refusal != nil })
        try await log.heal()
        _ = try await log.append(contentsOf: Array(records[20...]))
        try await log.close()
        try expectLog(at: directory.path, holds: records)
    }

    /// The interval sync is scheduled by the writer's clock, moved by hand: the sync (made to fail, so it
    /// shows) comes when the interval is up and not a moment before, with no real waiting.
    @Test func theIntervalSyncComesByTheWritersClock() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let faults = FaultInjection(), manual = ManualClock(), base = ContinuousClock.now
        var configuration = configuration(faults, fsync: .interval(milliseconds: 1000))
        configuration.clock = WriterClock(
            now: { base.advanced(by: manual.now.offset) },
            sleep: { try await manual.sleep(until: ManualClock.Instant(offset: base.duration(to: $0))) })
        let log = try EventLog(directory: directory.path, configuration: configuration)
        faults.inject(.syncFails())
        _ = try await log.append(contentsOf: RecordBuilder.records(5, seed: 9))
        #expect(try await eventually { manual.sleepers == 1 }, "the sync waits on the writer's clock")
        manual.advance(by: .milliseconds(999))
        #expect(log.writerStatus == .up && faults.pending == [.syncFails()], "not due a millisecond early")
        manual.advance(by: .milliseconds(1))
        #expect(try await eventually { log.writerStatus.refusal != nil }, "due at the interval")
        #expect(faults.pending.isEmpty)
        try await log.heal()
        try await log.close()
    }

    @Test func aHealThatFailsAgainLeavesTheWriterFailedUntilOneSucceeds() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let faults = FaultInjection()
        let log = try EventLog(directory: directory.path, configuration: configuration(faults))
        let records = RecordBuilder.records(10, seed: 7)
        _ = try await log.append(contentsOf: Array(records[..<5]))
        var seen: [String] = []
        let watcher = Task {
            var names: [String] = []
            for await status in log.writerStatusChanges() { names.append(status.name) }
            return names
        }
        faults.inject(.syncFails())
        faults.inject(.syncFails())
        await #expect(throws: EventLogError.self) { _ = try await log.append(records[5]) }
        await #expect(throws: EventLogError.self, "the reopened segment's sync fails too") { try await log.heal() }
        #expect(log.writerStatus.refusal != nil)
        #expect(log.writerFailures == 1, "one outage, however many heals it takes")
        try await log.heal()
        _ = try await log.append(contentsOf: Array(records[5...]))
        try await log.close()
        seen = await watcher.value
        #expect(seen.first == "up" && seen.last == "closed")
        #expect(seen.contains("failed") && seen.contains("healing"))
        try expectLog(at: directory.path, holds: records)
    }

    @Test func aRollThatFailsHalfwayLeavesNoStraySegment() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let faults = FaultInjection()
        var configuration = configuration(faults)
        configuration.segmentSize = 600
        let log = try EventLog(directory: directory.path, configuration: configuration)
        let records = RecordBuilder.records(40, seed: 8, maximumPayload: 200)
        var written = 0
        while log.segments.last!.bytes < 600 {
            _ = try await log.append(records[written])
            written += 1
        }
        // The next append rolls: the new segment's header write fails after the file was created.
        faults.inject(.writeFails())
        await #expect(throws: EventLogError.self) { _ = try await log.append(records[written]) }
        #expect(try LogOpener.segmentFiles(in: directory.path).count == 2, "the half-made segment is there")
        try await log.heal()
        #expect(try LogOpener.segmentFiles(in: directory.path).count == 1, "healing removed it")
        _ = try await log.append(contentsOf: Array(records[written...]))
        #expect(log.segments.count >= 2)
        try await log.close()
        try expectLog(at: directory.path, holds: records)
    }

    @Test func belowTheFreeSpaceReserveAppendsAreRefusedAndNothingIsWritten() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EventLog.Configuration()
        configuration.minimumFreeBytes = Int64.max / 4
        let log = try EventLog(directory: directory.path, configuration: configuration)
        let before = log.segments.last!.bytes
        let error = await #expect(throws: EventLogError.self) { _ = try await log.append(RecordBuilder.records(1)[0]) }
        #expect(error?.code == .writerFailed)
        #expect((error?.cause as? EventLogError)?.code == .belowReserve)
        #expect(log.segments.last!.bytes == before)
        let healing = await #expect(throws: EventLogError.self, "no heal while the reserve is not free") { try await log.heal() }
        #expect((healing?.cause as? EventLogError)?.code == .belowReserve)
        try await log.close()
    }
}
