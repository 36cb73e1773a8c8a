import EventLog
import Foundation
import InMemoryLogging
import Logging
import MovieMashCore
import PostgresNIO
import Testing
import TestSupport

@testable import PostgresMirror

/// Log records of the sample catalogue and `votes` votes, starting `start`.
func sampleRecords(votes: Int, seed: UInt64 = 3, sets: Int = 200, start: Timestamp = Timestamp(milliseconds: 1_793_491_200_000)) -> [LogRecord] {
    var sample = SampleEvents(seed: seed, sets: sets, start: start)
    let events = sample.catalogueEvents() + (0..<votes).map { _ in sample.nextVote() }
    return events.map {
        LogRecord(id: $0.eventID, timestamp: $0.occurredAt.milliseconds, payload: EventCodec.encode($0.event, occurredAt: $0.occurredAt))
    }
}

/// A log in `directory` holding `records`, written in large batches without syncs (test setup only).
func writeLog(_ records: [LogRecord], to directory: String) async throws -> EventLog {
    var configuration = EventLog.Configuration()
    configuration.fsync = .never
    let log = try EventLog(directory: directory, configuration: configuration)
    for start in stride(from: 0, to: records.count, by: 4096) {
        _ = try await log.append(contentsOf: Array(records[start..<min(start + 4096, records.count)]))
    }
    return log
}

func backfill(_ log: EventLog, into url: PostgresURL, batchSize: Int = 20_000, logger: Logger = PostgresTesting.logger) async throws {
    var configuration = PostgresMirror.Configuration()
    configuration.follow = false
    configuration.batchSize = batchSize
    try await PostgresMirror(log: log, url: url, configuration: configuration, logger: logger).run()
}

@Suite(.serialized) struct MirrorTests {
    @Test func mirrors200kEventsExactlyOnceWithPayloadsEqualToTheLog() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let records = sampleRecords(votes: 200_000 - 1600)
        let log = try await writeLog(records, to: directory.path)
        try await backfill(log, into: database.url)

        let rows = try await PostgresTesting.withConnection(database.url) { connection in
            var rows: [(Int64, UUID, String, Int, String)] = []
            for try await row in try await connection.query(
                "SELECT position, event_id, type, schema_version, payload::text FROM events ORDER BY position",
                logger: PostgresTesting.logger).decode((Int64, UUID, String, Int, String).self) {
                rows.append(row)
            }
            return rows
        }
        #expect(rows.count == 200_000)
        #expect(rows.map(\.0) == (0..<200_000).map(Int64.init))
        for (row, stored) in zip(rows, try log.read(from: 0)) {
            let envelope = try EventCodec.decode(
                stored.record.payload, eventID: stored.record.id, occurredAt: Timestamp(milliseconds: stored.record.timestamp))
            #expect(row.1 == envelope.eventID)
            #expect(row.2 == envelope.type.rawValue && row.3 == envelope.schemaVersion)
            let table = try JSONSerialization.jsonObject(with: Data(row.4.utf8)) as! NSDictionary
            let logJSON = try JSONSerialization.jsonObject(with: EventCodec.payloadJSON(envelope.event)) as! NSDictionary
            #expect(table == logJSON, "position \(row.0)")
        }
        let report = try await MirrorVerifier(log: log, url: database.url, logger: PostgresTesting.logger).verify()
        #expect(report.isEqual)
        #expect(report.ranges.count == 2)
        #expect(report.checkpoint == 200_000)
        try await log.close()
    }

    @Test func verifyNamesTheFirstRangeAndPositionThatDiffer() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let log = try await writeLog(sampleRecords(votes: 3000), to: directory.path)
        try await backfill(log, into: database.url)
        try await PostgresTesting.withConnection(database.url) { connection in
            try await connection.query(
                """
                UPDATE events SET payload = jsonb_set(payload, '{winner}',
                    CASE payload ->> 'winner' WHEN 'setA' THEN '"setB"' ELSE '"setA"' END::jsonb)
                WHERE position = 2345 AND type = 'VoteCast'
                """,
                logger: PostgresTesting.logger)
            try await connection.query("DELETE FROM events WHERE position = 4000", logger: PostgresTesting.logger)
        }
        let report = try await MirrorVerifier(log: log, url: database.url, rangeSize: 1000, logger: PostgresTesting.logger).verify()
        #expect(!report.isEqual)
        #expect(report.firstDifferingRange?.positions == 2000..<3000)
        #expect(report.firstDifferingRange?.firstDifference == 2345)
        #expect(report.ranges.filter { !$0.isEqual }.map(\.positions.lowerBound) == [2000, 4000])
        try await log.close()
    }

    @Test func aDatabaseOfAnotherLogIsRefusedNotOverwritten() async throws {
        let first = TemporaryDirectory(), second = TemporaryDirectory()
        defer { first.remove(); second.remove() }
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let logA = try await writeLog(sampleRecords(votes: 500, seed: 1), to: first.path)
        try await backfill(logA, into: database.url)
        let logB = try await writeLog(sampleRecords(votes: 900, seed: 2), to: second.path)
        await #expect { try await backfill(logB, into: database.url) } throws: {
            ($0 as? MirrorError)?.code == .foreignEvents
        }
        #expect(try await MirrorVerifier(log: logA, url: database.url, logger: PostgresTesting.logger).verify().isEqual)
        try await logA.close()
        try await logB.close()
    }

    /// A batch whose rows are already there (its commit's reply was lost, the checkpoint stayed behind) is
    /// skipped row by row and the checkpoint moves; another event at one of its positions stops the mirror
    /// and changes nothing. Each batch first tries the one-statement path, which refuses both.
    @Test func aBatchDeliveredAgainIsSkippedAndAForeignRowAheadOfTheCheckpointChangesNothing() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let log = try await writeLog(sampleRecords(votes: 600, seed: 3), to: directory.path)
        try await backfill(log, into: database.url, batchSize: 64)
        func run(_ sql: String) async throws -> [String?] {
            try await PostgresTesting.withConnection(database.url) { try await PostgresTesting.strings(sql, on: $0) }
        }
        _ = try await run("UPDATE mirror_checkpoint SET next_position = 100")
        try await backfill(log, into: database.url, batchSize: 64)
        #expect(try await run("SELECT next_position::text FROM mirror_checkpoint") == ["\(log.endPosition)"])
        #expect(try await MirrorVerifier(log: log, url: database.url, logger: PostgresTesting.logger).verify().isEqual)

        _ = try await run("UPDATE mirror_checkpoint SET next_position = 100")
        _ = try await run("UPDATE events SET event_id = gen_random_uuid() WHERE position = 150")
        await #expect { try await backfill(log, into: database.url, batchSize: 64) } throws: {
            ($0 as? MirrorError)?.code == .foreignEvents && "\($0)".contains("position 150")
        }
        #expect(try await run("SELECT next_position::text FROM mirror_checkpoint") == ["100"])
        try await log.close()
    }

    @Test func survivesAnImmediateServerStopMidBackfillAndCatchesUp() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let cluster = try TestCluster()
        defer { cluster.remove() }
        let database = try await PostgresTesting.createDatabase(on: cluster.url)
        let records = sampleRecords(votes: 120_000)
        let log = try await writeLog(Array(records[..<100_000]), to: directory.path)
        var configuration = PostgresMirror.Configuration()
        configuration.batchSize = 1000
        configuration.backoff = Backoff(base: .milliseconds(20), cap: .milliseconds(200))
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in logs }
        logger.logLevel = .trace
        let mirror = PostgresMirror(log: log, url: database.url, configuration: configuration, logger: logger)
        let running = Task { try await mirror.run() }

        #expect(try await eventually(timeout: .seconds(60)) { mirror.status.nextPosition >= 5000 }, "\(mirror.status)")
        try cluster.stopImmediately()
        _ = try await log.append(contentsOf: Array(records[100_000...]))
        #expect(log.endPosition == UInt64(records.count))
        #expect(try await eventually(timeout: .seconds(60)) { mirror.status.failedAttempts >= 4 }, "\(mirror.status)")
        #expect(mirror.status.nextPosition < log.endPosition)
        try cluster.start()
        #expect(try await eventually(timeout: .seconds(120)) {
            mirror.status.nextPosition == log.endPosition && mirror.status.state == .caughtUp
        }, "\(mirror.status)")
        #expect(mirror.status.lagEvents == 0)
        running.cancel()
        try await running.value

        let warnings = logs.entries.filter { $0.level == .warning }
        #expect(!warnings.isEmpty)
        #expect(warnings.count < mirror.status.failedAttempts, "one warning per change of state, not per retry")
        let counts = try await PostgresTesting.withConnection(database.url) { connection in
            try await PostgresTesting.strings(
                "SELECT count(*)::text || ' ' || count(DISTINCT position)::text || ' ' || max(position)::text FROM events",
                on: connection)
        }
        #expect(counts == ["\(records.count) \(records.count) \(records.count - 1)"])
        let report = try await MirrorVerifier(log: log, url: database.url, logger: PostgresTesting.logger).verify()
        #expect(report.isEqual)
        #expect(report.typedTables.map(\.table).sorted() == ["films", "set_films", "sets", "voters", "votes"])
        #expect(report.typedTables.allSatisfy { $0.isEqual }, "typed tables out of step with events after the crash: \(report.typedTables)")
        let votes = try await PostgresTesting.withConnection(database.url) { connection in
            try await PostgresTesting.strings("SELECT count(*)::text FROM analytics.votes", on: connection)
        }
        #expect(votes == ["120000"])
        try await log.close()
    }

    @Test func followsNewAppendsAndReportsLag() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let records = sampleRecords(votes: 5000)
        let log = try await writeLog(Array(records[..<1000]), to: directory.path)
        let mirror = PostgresMirror(log: log, url: database.url, logger: PostgresTesting.logger)
        let running = Task { try await mirror.run() }
        #expect(try await eventually { mirror.status.state == .caughtUp && mirror.status.nextPosition == 1000 })
        for record in records[1000...] { _ = try await log.append(record) }
        #expect(try await eventually { mirror.status.nextPosition == UInt64(records.count) })
        #expect(mirror.status.lagEvents == 0 && mirror.status.lagSeconds == 0)
        running.cancel()
        try await running.value
        #expect(mirror.status.state == .stopped)
        try await log.close()
    }
}
