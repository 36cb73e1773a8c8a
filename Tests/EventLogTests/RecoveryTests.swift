import Foundation
import Testing
import TestSupport

@testable import EventLog

@Suite struct RecoveryTests {
    /// A closed log of `batches` batches of five records each; returns the records and batch start offsets.
    private func makeLog(at path: String, batches: Int, configuration: EventLog.Configuration = .init()) async throws
        -> (records: [LogRecord], offsets: [Int64]) {
        let records = RecordBuilder.records(batches * 5, seed: 31, maximumPayload: 60)
        let log = try EventLog(directory: path, configuration: configuration)
        var offsets: [Int64] = []
        for batch in 0..<batches {
            offsets.append(log.segments.last!.bytes)
            _ = try await log.append(contentsOf: Array(records[batch * 5..<batch * 5 + 5]))
        }
        try await log.close()
        return (records, offsets)
    }

    private func truncate(_ path: String, to length: Int64) throws {
        let file = try LogFile(path: path, mode: .readWrite)
        try file.truncate(to: length)
    }

    private func flipBit(_ path: String, at offset: Int64, bit: Int) throws {
        let file = try LogFile(path: path, mode: .readWrite)
        var byte = try file.read(at: offset, count: 1)
        byte[0] ^= UInt8(1 << bit)
        try file.write(byte, at: offset)
    }

    @Test func truncatingTheLastTwoBatchesAtEveryOffsetKeepsExactlyTheCompleteBatches() async throws {
        let original = TemporaryDirectory()
        defer { original.remove() }
        let (records, offsets) = try await makeLog(at: original.path, batches: 6)
        let segment = original.file("00000000000000000000.log")
        let end = try LogFile(path: segment, mode: .readOnly).size()
        for cut in offsets[4]..<end {
            let copy = TemporaryDirectory()
            defer { copy.remove() }
            try FileManager.default.removeItem(atPath: copy.path)
            try TemporaryDirectory.copy(original.path, to: copy.path)
            try truncate(copy.file("00000000000000000000.log"), to: cut)
            let log = try EventLog(directory: copy.path)
            let complete = cut >= offsets[5] ? 25 : 20
            #expect(log.damage == nil)
            #expect(log.endPosition == UInt64(complete), "cut at \(cut)")
            #expect(log.recovery.truncatedBytes == cut - (cut >= offsets[5] ? offsets[5] : offsets[4]))
            #expect(try log.read(from: 0).map(\.record) == Array(records[..<complete]))
            let next = RecordBuilder.records(1, seed: UInt64(cut))[0]
            #expect(try await log.append(next) == UInt64(complete))
            try await log.close()
            #expect(try EventLog.verify(directory: copy.path).isHealthy)
        }
    }

    @Test func flippingAnyBitOfASealedBatchIsDetectedAndNamesFileAndOffset() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EventLog.Configuration()
        configuration.segmentSize = 1024
        let (records, _) = try await makeLog(at: directory.path, batches: 12, configuration: configuration)
        let sealed = try #require(try LogOpener.segmentFiles(in: directory.path).first)
        let file = try LogFile(path: sealed.path, mode: .readOnly)
        let header = try SegmentHeader.read(from: file).get()
        func batchLength(at offset: Int64) throws -> Int {
            try file.read(at: offset, count: BatchHeader.length).withUnsafeBytes { BatchHeader.decode($0) }.get().totalLength
        }
        // The second batch of the first (sealed) segment.
        let batchOffset = Int64(header.length) + Int64(try batchLength(at: Int64(header.length)))
        let batchLength = try batchLength(at: batchOffset)
        for byte in 0..<Int64(batchLength) {
            for bit in 0..<8 {
                try flipBit(sealed.path, at: batchOffset + byte, bit: bit)
                defer { try? flipBit(sealed.path, at: batchOffset + byte, bit: bit) }
                let log = try EventLog(directory: directory.path, configuration: configuration)
                let damage = try #require(log.damage, "bit \(bit) of byte \(byte) went unnoticed")
                #expect(damage.code == .corrupt)
                #expect(damage.file == sealed.path)
                #expect(damage.offset == batchOffset)
                #expect(log.endPosition == 5)
                #expect(try log.read(from: 0).map(\.record) == Array(records[..<5]))
                await #expect { try await log.append(records[0]) } throws: { ($0 as? EventLogError)?.code == .readOnly }
                let report = try EventLog.verify(directory: directory.path, configuration: configuration)
                #expect(!report.isHealthy)
                #expect(report.segments[0].damage?.offset == batchOffset)
            }
        }
        let healthy = try EventLog(directory: directory.path, configuration: configuration)
        #expect(healthy.damage == nil)
        #expect(try healthy.read(from: 0).map(\.record) == records)
        try await healthy.close()
    }

    @Test func corruptionInsideTheLastSegmentIsDamageNotATornTail() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (records, offsets) = try await makeLog(at: directory.path, batches: 5)
        let segment = directory.file("00000000000000000000.log")
        let sizeBefore = try LogFile(path: segment, mode: .readOnly).size()
        try flipBit(segment, at: offsets[2] + 60, bit: 3)
        let log = try EventLog(directory: directory.path)
        #expect(log.damage?.offset == offsets[2])
        #expect(log.endPosition == 10)
        #expect(try log.read(from: 0).map(\.record) == Array(records[..<10]))
        #expect(try LogFile(path: segment, mode: .readOnly).size() == sizeBefore)
    }

    @Test func aMissingOrStaleIndexIsRebuilt() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EventLog.Configuration()
        configuration.indexInterval = 100
        let (records, _) = try await makeLog(at: directory.path, batches: 20, configuration: configuration)
        let index = directory.file("00000000000000000000.idx")
        let good = try LogFile(path: index, mode: .readOnly).read(at: 0, count: 1 << 20)
        #expect(good.count > 3 * SegmentIndex.entryLength)

        try FileManager.default.removeItem(atPath: index)
        #expect(try !EventLog.verify(directory: directory.path, configuration: configuration).segments[0].indexMatches)
        var log = try EventLog(directory: directory.path, configuration: configuration)
        #expect(log.recovery.rebuiltIndexes == [index])
        #expect(try log.read(from: 57).map(\.record) == Array(records[57...]))
        try await log.close()
        #expect(try LogFile(path: index, mode: .readOnly).read(at: 0, count: 1 << 20) == good)

        try LogFile(path: index, mode: .readWrite).write([0xFF, 0xFF, 0xFF], at: 20)
        log = try EventLog(directory: directory.path, configuration: configuration)
        #expect(log.recovery.rebuiltIndexes == [index])
        try await log.close()
        #expect(try LogFile(path: index, mode: .readOnly).read(at: 0, count: 1 << 20) == good)
    }

    @Test func anInterruptedSegmentCreationIsRemoved() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (records, _) = try await makeLog(at: directory.path, batches: 3)
        let torn = directory.file("00000000000000000015.log")
        try LogFile(path: torn, mode: .createNew).write(Array(SegmentHeader(basePosition: 15, dictionary: [1, 2, 3]).encoded().prefix(10)), at: 0)
        let log = try EventLog(directory: directory.path)
        #expect(log.recovery.removedSegments == [torn])
        #expect(!FileManager.default.fileExists(atPath: torn))
        #expect(try log.read(from: 0).map(\.record) == records)
        #expect(try await log.append(RecordBuilder.records(1, seed: 99)[0]) == 15)
        try await log.close()
    }
}
