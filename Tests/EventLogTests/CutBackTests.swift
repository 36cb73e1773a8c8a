import Foundation
import Testing
import TestSupport

@testable import EventLog

@Suite struct CutBackTests {
    /// A log of several segments and many batches, cut at positions in a segment's middle, at a segment's
    /// start and beyond the end: what stays is a prefix of what was there, at most a few batches short of
    /// the cut, and the log takes appends after it and verifies healthy.
    @Test(arguments: [0, 1, 37, 400, 1000, 1499, 1500, 1600] as [UInt64])
    func aCutLeavesAPrefixEndingAtOrShortlyBeforeThePosition(position: UInt64) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EventLog.Configuration()
        configuration.segmentSize = 64 << 10
        configuration.maximumBatchRecords = 7
        configuration.fsync = .never
        let records = RecordBuilder.records(1500, maximumPayload: 300)
        let log = try EventLog(directory: directory.path, configuration: configuration)
        for start in stride(from: 0, to: records.count, by: 50) {
            _ = try await log.append(contentsOf: Array(records[start..<min(start + 50, records.count)]))
        }
        #expect(log.segments.count > 3)
        try await log.close()

        let end = try await EventLog.cutBack(directory: directory.path, to: position, configuration: configuration)
        #expect(end <= min(position, 1500))
        #expect(min(position, 1500) - end <= 200, "cut at the last indexed batch start before \(position), not far before")
        let reopened = try EventLog(directory: directory.path, configuration: configuration)
        #expect(reopened.endPosition == end)
        #expect(try reopened.read(from: 0).map(\.record) == Array(records[..<Int(end)]))
        let more = RecordBuilder.records(30).map { LogRecord(id: UUID(), timestamp: $0.timestamp, payload: $0.payload) }
        #expect(try await reopened.append(contentsOf: more) == Array(end..<end + 30))
        try await reopened.close()
        let report = try EventLog.verify(directory: directory.path, configuration: configuration)
        #expect(report.segments.allSatisfy { $0.damage == nil && $0.tornTailBytes == 0 })
        #expect(report.segments.last?.endPosition == end + 30)
    }

    @Test func aLogOpenForWritingIsNotCut() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(directory: directory.path)
        _ = try await log.append(contentsOf: RecordBuilder.records(20))
        await #expect(throws: EventLogError.self) { try await EventLog.cutBack(directory: directory.path, to: 5) }
        #expect(log.endPosition == 20)
        try await log.close()
    }
}
