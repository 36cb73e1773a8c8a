import EventLog
import Foundation
import MovieMashCore
import PostgresNIO
import Testing
import TestSupport

@testable import PostgresMirror

/// The writer lease and its fence against a real PostgreSQL: takeovers, the old writer's mirror fenced,
/// and a returning writer's log brought back in step with the table.
@Suite(.serialized) struct WriterLeaseTests {
    static func count(_ sql: String, _ url: PostgresURL) async throws -> Int {
        try await PostgresTesting.withConnection(url) { Int(try await PostgresTesting.strings(sql, on: $0).first??.description ?? "") ?? -1 }
    }

    @Test func aTakeoverFencesTheOldWritersMirrorWhichThenCommitsNothing() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        _ = try await Migrator.migrate(database.url, logger: PostgresTesting.logger)
        let records = sampleRecords(votes: 1500)
        let log = try await writeLog(Array(records[..<1000]), to: directory.path)
        let a = WriterLease(url: database.url, holder: "http://a", logger: PostgresTesting.logger)
        let b = WriterLease(url: database.url, holder: "http://b", logger: PostgresTesting.logger)
        defer { Task { await a.close(); await b.close() } }

        let taken = try #require(try await a.takeOver(for: .seconds(60), lockTimeout: .seconds(1)))
        #expect(taken.checkpoint == 0)
        #expect(try await b.takeOver(for: .seconds(60), lockTimeout: .seconds(1)) == nil, "held until it ends")
        #expect(try await a.current() == WriterLease.Holder(holder: "http://a", epoch: taken.epoch, live: true))

        var configuration = PostgresMirror.Configuration()
        configuration.epoch = taken.epoch
        let mirror = PostgresMirror(log: log, url: database.url, configuration: configuration, logger: PostgresTesting.logger)
        let running = Task { try await mirror.run() }
        #expect(try await eventually { mirror.status.nextPosition == 1000 })

        // A stops renewing (paused, say) and its lease runs out (moved into the past here rather than waited
        // for); B takes it, with the next epoch and the checkpoint every event below which is in the table.
        try await PostgresTesting.withConnection(database.url) { connection in
            _ = try await PostgresTesting.strings("UPDATE writer_lease SET expires_at = now() - interval '1 second' RETURNING holder", on: connection)
        }
        let next = try await b.takeOver(for: .seconds(30), lockTimeout: .seconds(1))
        #expect(next == WriterLease.Taken(epoch: taken.epoch + 1, checkpoint: 1000))
        #expect(try await a.renew(epoch: taken.epoch, for: .seconds(1)) == false, "the old epoch renews nothing")
        #expect(try await b.renew(epoch: taken.epoch + 1, for: .seconds(30)))

        // A, resumed, appends more: its mirror must commit none of it and stop for good.
        _ = try await log.append(contentsOf: Array(records[1000...]))
        let ended = await running.result
        #expect(throws: MirrorError.self) { try ended.get() }
        if case .failure(let error as MirrorError) = ended { #expect(error.code == .leaseLost, "\(error)") }
        #expect(try await Self.count("SELECT count(*)::text FROM events", database.url) == 1000)
        #expect(try await Self.count("SELECT next_position::text FROM mirror_checkpoint", database.url) == 1000)
        try await log.close()
    }

    @Test func ofWritersTakingAnEndedLeaseAtOnceExactlyOneLeads() async throws {
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        _ = try await Migrator.migrate(database.url, logger: PostgresTesting.logger)
        let nodes = (0..<4).map { WriterLease(url: database.url, holder: "http://node-\($0)", logger: PostgresTesting.logger) }
        defer { Task { for node in nodes { await node.close() } } }
        for round in 1...5 {
            let taken = try await withThrowingTaskGroup(of: WriterLease.Taken?.self) { group in
                for node in nodes { group.addTask { try await node.takeOver(for: .seconds(60), lockTimeout: .seconds(30)) } }
                var taken: [WriterLease.Taken] = []
                for try await attempt in group { if let attempt { taken.append(attempt) } }
                return taken
            }
            #expect(taken.count == 1, "round \(round): \(taken)")
            #expect(taken.first?.epoch == Int64(round))
            #expect(try await nodes[0].current()?.live == true)
            // The holder is lost: its lease is made to have run out (not waited for, which a loaded
            // machine would stretch), and the next round starts.
            try await PostgresTesting.withConnection(database.url) { connection in
                _ = try await PostgresTesting.strings("UPDATE writer_lease SET expires_at = now() - interval '1 second' RETURNING holder", on: connection)
            }
        }
    }

    @Test func aReturningWriterCutsWhatTheTableNeverHeldAndCopiesWhatItMissed() async throws {
        let table = TemporaryDirectory(), returning = TemporaryDirectory(), foreign = TemporaryDirectory()
        defer { table.remove(); returning.remove(); foreign.remove() }
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let records = sampleRecords(votes: 2500)
        // The new writer committed 1,000..<2,800 after the old one's last commit at 1,000; the old one had
        // appended 700 more it never got committed (so never acknowledged), the first of them with the
        // same id as the new writer's event there and other bytes (a vote retried there with its ticket).
        let written = try await writeLog(Array(records[..<2800]), to: table.path)
        try await backfill(written, into: database.url)
        try await written.close()
        let retried = LogRecord(id: records[1000].id, timestamp: records[1000].timestamp + 1, payload: records[1000].payload)
        let unacknowledged = [retried] + sampleRecords(votes: 699, seed: 99).suffix(699)
        let old = try await writeLog(Array(records[..<1000]) + unacknowledged, to: returning.path)
        try await old.close()

        let rejoined = try await LogRestore(url: database.url, directory: returning.path, logger: PostgresTesting.logger).rejoin()
        #expect(rejoined == LogRestore.Rejoined(cut: 700, end: 2800))
        let log = try EventLog(directory: returning.path)
        #expect(try log.read(from: 0).map(\.record) == Array(records[..<2800]), "the same bytes, positions and ids as the table")
        try await log.close()
        #expect(try EventLog.verify(directory: returning.path).isHealthy)

        // A log that shares not even its first event with the table is refused and left as it was.
        let other = try await writeLog(sampleRecords(votes: 50, seed: 5), to: foreign.path)
        let held = other.endPosition
        try await other.close()
        await #expect(throws: MirrorError.self) {
            try await LogRestore(url: database.url, directory: foreign.path, logger: PostgresTesting.logger).rejoin()
        }
        let untouched = try EventLog(directory: foreign.path, mode: .readOnly)
        #expect(untouched.endPosition == held)
    }
}
