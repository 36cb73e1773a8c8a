import Foundation
import Synchronization
import Testing
import TestSupport

@testable import EventLog

@Suite struct TailTests {
    @Test func tailYieldsExistingThenNewRecordsOnceDurable() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(directory: directory.path)
        let records = RecordBuilder.records(400, seed: 21)
        _ = try await log.append(contentsOf: Array(records[..<100]))
        let seen = Mutex<[StoredRecord]>([])
        let follower = Task {
            for try await stored in log.tail(from: 50) {
                seen.withLock { $0.append(stored) }
            }
        }
        for record in records[100...] { _ = try await log.append(record) }
        #expect(try await eventually { seen.withLock { $0.count } == 350 })
        try await log.close()
        try await follower.value
        let received = seen.withLock { $0 }
        #expect(received.map(\.position) == Array(50..<400))
        #expect(received.map(\.record) == Array(records[50...]))
    }

    @Test func cancellingAWaitingTailEndsIt() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let log = try EventLog(directory: directory.path)
        let follower = Task {
            var count = 0
            for try await _ in log.tail() { count += 1 }
            return count
        }
        follower.cancel()
        #expect(try await follower.value == 0)
        try await log.close()
    }

    @Test func manyReadersRunBesideTheWriterAndSeeOnlyCompleteBatches() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EventLog.Configuration()
        configuration.segmentSize = 16384
        let log = try EventLog(directory: directory.path, configuration: configuration)
        let records = RecordBuilder.records(2000, seed: 22)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for chunk in stride(from: 0, to: records.count, by: 25) {
                    _ = try await log.append(contentsOf: Array(records[chunk..<chunk + 25]))
                }
                try await log.close()
            }
            for reader in 0..<4 {
                group.addTask {
                    var expected: UInt64 = UInt64(reader * 100)
                    for try await stored in log.tail(from: expected) {
                        #expect(stored.position == expected)
                        #expect(stored.record == records[Int(expected)])
                        expected += 1
                    }
                    #expect(expected == 2000)
                }
            }
            try await group.waitForAll()
        }
    }
}
