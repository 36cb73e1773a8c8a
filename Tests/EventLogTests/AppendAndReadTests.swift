import Foundation
import Testing
import TestSupport

@testable import EventLog

@Suite struct AppendAndReadTests {
    @Test func roundTripsRecordsInOrder() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let records = RecordBuilder.records(500, maximumPayload: 2000)
        let log = try EventLog(directory: directory.path)
        var positions: [UInt64] = []
        for record in records { positions.append(try await log.append(record)) }
        #expect(positions == Array(0..<500))
        #expect(try log.read(from: 0).map(\.record) == records)
        try await log.close()

        let reopened = try EventLog(directory: directory.path)
        #expect(reopened.endPosition == 500)
        #expect(try reopened.read(from: 0).map(\.record) == records)
        #expect(try reopened.read(from: 0).map(\.position) == Array(0..<500))
        try await reopened.close()
    }

    @Test func readersShareDecodedBatchesAndForgetTheOldestPastTheLimit() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EventLog.Configuration()
        configuration.maximumBatchRecords = 10
        let log = try EventLog(directory: directory.path, configuration: configuration)
        let records = RecordBuilder.records(100)
        _ = try await log.append(contentsOf: records)
        // Readers start at every position, in and between batches others have decoded.
        let readers = (0..<100).map { log.reader(from: UInt64($0)) }
        for (start, reader) in readers.enumerated() {
            var read: [LogRecord] = []
            while let stored = try reader.next() { read.append(stored.record) }
            #expect(read == Array(records[start...]))
        }
        try await log.close()

        let recent = RecentBatches(byteLimit: 400)
        let batch = { (size: Int) in RecentBatches.Batch(records: [StoredRecord(position: 0, record: LogRecord(id: UUID(), timestamp: 0, payload: [UInt8](repeating: 1, count: size)))], length: 1) }
        recent.remember(batch(90), segment: 0, offset: 0)
        recent.remember(batch(90), segment: 0, offset: 1)
        #expect(recent.batch(segment: 0, offset: 0) != nil)
        recent.remember(batch(500), segment: 0, offset: 2)
        #expect(recent.batch(segment: 0, offset: 2) == nil, "a batch larger than a quarter of the limit is not kept")
        for offset in Int64(2)..<5 { recent.remember(batch(90), segment: 0, offset: offset) }
        #expect(recent.batch(segment: 0, offset: 0) == nil && recent.batch(segment: 0, offset: 4) != nil)
    }

    /// Visiting in place returns what `next` returns, from any position, in any limits, across segments,
    /// whether a batch is decoded in place or taken from another reader's cache, and mixed with `next`.
    @Test(arguments: [1, 3, 10, 64, 1000])
    func visitingInPlaceReadsWhatNextReads(limit: Int) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EventLog.Configuration()
        configuration.maximumBatchRecords = 7
        configuration.segmentSize = 4096
        let log = try EventLog(directory: directory.path, configuration: configuration)
        let records = RecordBuilder.records(300, maximumPayload: 100)
        _ = try await log.append(contentsOf: records)
        func visitAll(_ reader: LogReader) throws -> [StoredRecord] {
            var read: [StoredRecord] = []
            while true {
                let visited = try reader.visit(limit: limit) { read.append(StoredRecord(position: $0.position, record: $0.record)) }
                #expect(visited <= limit)
                if visited < limit { break }
            }
            return read
        }
        for start in [0, 1, 6, 7, 150, 299, 300] {
            let read = try visitAll(log.reader(from: UInt64(start)))
            #expect(read.map(\.record) == Array(records[start...]), "from \(start)")
            #expect(read.map(\.position) == Array(UInt64(start)..<300))
        }
        // Another reader decoded (and cached) every batch first: the visit reads the cache.
        _ = try log.read(from: 0)
        #expect(try visitAll(log.reader(from: 5)).map(\.record) == Array(records[5...]))
        // next and visit take turns on one reader.
        let reader = log.reader(from: 0)
        var mixed: [LogRecord] = []
        while let first = try reader.next() {
            mixed.append(first.record)
            _ = try reader.visit(limit: limit) { mixed.append($0.record) }
        }
        #expect(mixed == records)
        try await log.close()
    }

    /// A visit that throws leaves the reader after the record it was visiting, and the next visit goes on
    /// from there.
    @Test func aThrowingVisitLeavesTheReaderAfterThatRecord() async throws {
        struct Stop: Error {}
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(directory: directory.path)
        let records = RecordBuilder.records(50)
        _ = try await log.append(contentsOf: records)
        let reader = log.reader(from: 0)
        #expect(throws: Stop.self) { _ = try reader.visit(limit: 100) { if $0.position == 20 { throw Stop() } } }
        #expect(reader.position == 21)
        var rest: [LogRecord] = []
        #expect(try reader.visit(limit: 100) { rest.append($0.record) } == 29)
        #expect(rest == Array(records[21...]))
        try await log.close()
    }

    @Test(arguments: [1, 2, 3, 7, 64])
    func readsFromEveryPositionAcrossBatchBoundaries(maximumBatchRecords: Int) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EventLog.Configuration()
        configuration.maximumBatchRecords = maximumBatchRecords
        configuration.indexInterval = 256
        let log = try EventLog(directory: directory.path, configuration: configuration)
        let records = RecordBuilder.records(150, seed: UInt64(maximumBatchRecords))
        #expect(try await log.append(contentsOf: records) == Array(0..<150))
        for start in 0...150 {
            let read = try log.read(from: UInt64(start))
            #expect(read.map(\.record) == Array(records[start...]))
            #expect(read.first?.position == (start < 150 ? UInt64(start) : nil))
        }
        #expect(try log.read(from: 20, limit: 5).map(\.position) == [20, 21, 22, 23, 24])
        let report = try EventLog.verify(directory: directory.path, configuration: configuration)
        #expect(report.segments[0].batches == (150 + maximumBatchRecords - 1) / maximumBatchRecords)
        try await log.close()
    }

    @Test func rollsSegmentsAndReadsAcrossThem() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EventLog.Configuration()
        configuration.segmentSize = 4096
        configuration.maximumBatchRecords = 10
        let records = RecordBuilder.records(1000, seed: 3)
        let log = try EventLog(directory: directory.path, configuration: configuration)
        _ = try await log.append(contentsOf: Array(records[..<500]))
        for record in records[500...] { _ = try await log.append(record) }
        let segments = log.segments
        #expect(segments.count > 5)
        #expect(segments.first?.dictionaryBytes == 0)
        #expect(segments.dropFirst().allSatisfy { $0.dictionaryBytes > 0 })
        for (previous, next) in zip(segments, segments.dropFirst()) {
            #expect(previous.endPosition == next.basePosition)
        }
        #expect(try log.read(from: 0).map(\.record) == records)
        let middle = segments[3].basePosition + 1
        #expect(try log.read(from: middle, limit: 50).map(\.record) == Array(records[Int(middle)..<Int(middle) + 50]))
        try await log.close()

        let reopened = try EventLog(directory: directory.path, configuration: configuration)
        #expect(reopened.recovery == EventLog.Recovery())
        #expect(reopened.segments == segments)
        #expect(try reopened.read(from: 0).map(\.record) == records)
        #expect(try EventLog.verify(directory: directory.path, configuration: configuration).isHealthy)
        try await reopened.close()
    }

    @Test func reappendingAKnownIDWritesNothingAndReturnsTheOriginalPosition() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let records = RecordBuilder.records(20, seed: 9)
        let log = try EventLog(directory: directory.path)
        _ = try await log.append(contentsOf: records)
        let size = log.segments[0].bytes
        var retry = records[7]
        retry.payload = [1, 2, 3]
        #expect(try await log.append(retry) == 7)
        #expect(try await log.append(contentsOf: [records[3], records[3], records[19]]) == [3, 3, 19])
        #expect(log.endPosition == 20)
        #expect(log.segments[0].bytes == size)
        try await log.close()

        let reopened = try EventLog(directory: directory.path)
        #expect(try await reopened.append(records[12]) == 12)
        let fresh = RecordBuilder.records(1, seed: 10)[0]
        #expect(try await reopened.append(contentsOf: [fresh, fresh]) == [20, 20])
        #expect(reopened.endPosition == 21)
        #expect(try reopened.read(from: 7, limit: 1)[0].record == records[7])
        try await reopened.close()
    }

    @Test func concurrentDuplicatesInFlightShareOnePosition() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(directory: directory.path)
        let record = RecordBuilder.records(1, seed: 11)[0]
        let positions = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for _ in 0..<50 { group.addTask { try await log.append(record) } }
            return try await group.reduce(into: Set<UInt64>()) { $0.insert($1) }
        }
        #expect(positions == [0])
        #expect(log.endPosition == 1)
        try await log.close()
    }

    @Test func appendNewWritesAnIDOnlyOnceAndSaysWhenItDidNot() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let records = RecordBuilder.records(3, seed: 12)
        let log = try EventLog(directory: directory.path)
        #expect(try await log.appendNew(records[0]) == 0)
        #expect(try await log.appendNew(records[0]) == nil)
        // Fifty at once with one id, while it is still on its way: exactly one is written.
        let answers = try await withThrowingTaskGroup(of: UInt64?.self) { group in
            for _ in 0..<50 { group.addTask { try await log.appendNew(records[1]) } }
            return try await group.reduce(into: [UInt64?]()) { $0.append($1) }
        }
        #expect(answers.compactMap { $0 } == [1])
        try await log.close()

        let reopened = try EventLog(directory: directory.path)
        #expect(try await reopened.appendNew(records[1]) == nil)
        #expect(try await reopened.appendNew(records[2]) == 2)
        #expect(reopened.endPosition == 3)
        try await reopened.close()
    }

    @Test func groupsConcurrentAppendsIntoFewerBatches() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(directory: directory.path)
        let records = RecordBuilder.records(512, seed: 12)
        let positions = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for record in records { group.addTask { try await log.append(record) } }
            return try await group.reduce(into: [UInt64]()) { $0.append($1) }
        }
        #expect(positions.sorted() == Array(0..<512))
        let stored = try log.read(from: 0)
        #expect(Set(stored.map(\.record)) == Set(records))
        try await log.close()
        let report = try EventLog.verify(directory: directory.path)
        #expect(report.segments[0].batches < 512)
    }

    @Test(arguments: [EventLog.FsyncPolicy.always, .interval(milliseconds: 5), .never])
    func everyFsyncPolicyKeepsWhatWasAppended(policy: EventLog.FsyncPolicy) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EventLog.Configuration()
        configuration.fsync = policy
        let records = RecordBuilder.records(300, seed: 13)
        let log = try EventLog(directory: directory.path, configuration: configuration)
        for record in records { _ = try await log.append(record) }
        try await log.sync()
        try await log.close()
        await #expect(throws: EventLogError.self) { try await log.append(records[0]) }
        let reopened = try EventLog(directory: directory.path, configuration: configuration)
        #expect(try reopened.read(from: 0).map(\.record) == records)
        try await reopened.close()
    }

    @Test func rejectsOversizedRecordsWithoutWritingAnything() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EventLog.Configuration()
        configuration.maximumRecordBytes = 100
        let log = try EventLog(directory: directory.path, configuration: configuration)
        let big = LogRecord(id: UUID(), timestamp: 0, payload: [UInt8](repeating: 1, count: 101))
        await #expect { try await log.append(big) } throws: { ($0 as? EventLogError)?.code == .recordTooLarge }
        #expect(log.endPosition == 0)
        try await log.close()
    }

    @Test func secondWriterIsRefusedWhileTheFirstHoldsTheLock() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(directory: directory.path)
        #expect { try EventLog(directory: directory.path) } throws: { ($0 as? EventLogError)?.code == .locked }
        let reader = try EventLog(directory: directory.path, mode: .readOnly)
        await #expect(throws: EventLogError.self) { try await reader.append(RecordBuilder.records(1)[0]) }
        try await log.close()
    }

    @Test func readOnlyOpenOfAMissingDirectoryIsAClearError() {
        #expect { try EventLog(directory: "/nonexistent/moviemash-log", mode: .readOnly) } throws: {
            ($0 as? EventLogError)?.code == .notALog
        }
    }
}

@Suite struct IdIndexMemoryTests {
    @Test func idIndexCostIsWithinTheDocumentedBoundsPerRecord() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EventLog.Configuration()
        configuration.fsync = .never
        let log = try EventLog(directory: directory.path, configuration: configuration)
        _ = try await log.append(contentsOf: RecordBuilder.records(100_000, seed: 41, maximumPayload: 8))
        try await log.close()
        let reopened = try EventLog(directory: directory.path, configuration: configuration)
        let perRecord = Double(await reopened.idIndexBytes) / 100_000
        #expect(perRecord >= 24 && perRecord <= 68, "\(perRecord) bytes per record")
        try await reopened.close()
    }
}
