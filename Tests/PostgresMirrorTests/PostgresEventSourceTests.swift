import EventLog
import EventStore
import Foundation
import Logging
import MovieMashCore
import PostgresNIO
import Projections
import Synchronization
import Testing
import TestSupport

@testable import PostgresMirror

@Suite struct PollPacingTests {
    @Test func pollsFastWhileEventsComeAndBacksOffToTheSlowestWhenIdle() {
        var configuration = PollPacing.Configuration()
        configuration.fastest = .milliseconds(5)
        configuration.slowest = .milliseconds(160)
        var pacing = PollPacing(configuration: configuration)
        #expect(pacing.polled(foundNew: true) == .milliseconds(5))
        let idle = (0..<8).map { _ in pacing.polled(foundNew: false) }
        #expect(idle == [10, 20, 40, 80, 160, 160, 160, 160].map { .milliseconds($0) })
        #expect(pacing.polled(foundNew: true) == .milliseconds(5), "the first new event brings the pace back at once")
    }
}

@Suite(.serialized) struct PostgresEventSourceTests {
    /// Log records of the sample catalogue and votes, mirrored into `url` up to the log's end.
    private func mirroredLog(_ records: [LogRecord], at path: String, into url: PostgresURL) async throws -> EventLog {
        let log = try await writeLog(records, to: path)
        try await backfill(log, into: url)
        return log
    }

    @Test func theTableReadsAsTheLogDoesAndWakesFollowersWhenTheCheckpointMoves() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let records = sampleRecords(votes: 3000)
        let log = try await mirroredLog(Array(records.prefix(2000)), at: directory.path, into: database.url)
        let source = PostgresEventSource(url: database.url, logger: PostgresTesting.logger)
        #expect(try await source.endPosition() == 2000)
        let fromTable = try await source.events(from: 0, limit: 5000)
        let fromLog = try LogEventSource(log).events(from: 0, limit: 5000)
        #expect(fromTable == fromLog, "same positions, ids, times and events")
        #expect(try await source.events(from: 1990, limit: 50).count == 10, "never past the checkpoint")
        #expect(try await source.eventID(at: 1999) == fromLog.last?.eventID)
        #expect(try await source.eventID(at: 2000) == nil)

        let polling = Task { try await source.run() }
        let woken = Task { try await source.waitForEvent(at: 2500) }
        let mirror = PostgresMirror(log: log, url: database.url, logger: PostgresTesting.logger)
        let mirroring = Task { try await mirror.run() }
        _ = try await log.append(contentsOf: Array(records.dropFirst(2000)))
        #expect(try await woken.value, "a follower waiting for position 2500 wakes once it is committed")
        #expect(try await eventually { source.status.end == UInt64(records.count) })
        let tail = try await source.events(from: 2000, limit: 5000)
        #expect(tail == (try LogEventSource(log).events(from: 2000, limit: 5000)))

        // Idle, the poller slows to its slowest pace: what tailing costs the database.
        let before = source.status.polls, started = ContinuousClock.now
        #expect(try await eventually { ContinuousClock.now - started >= .seconds(2) })
        let idlePolls = source.status.polls - before
        print("idle polling: \(idlePolls) checkpoint queries in 2 s")
        #expect(idlePolls <= 2 * 1000 / 250 + 4)
        mirroring.cancel()
        polling.cancel()
        try await mirroring.value
        try await polling.value
        try await log.close()
    }

    /// Each row carries its record's bytes as the log stores them; rows mirrored before the bytes were kept
    /// (NULL, as after migration 009) read the same meanwhile, fail verify, and are filled from the log by
    /// the mirror's next start; a damaged byte is found at its position.
    @Test func rowsCarryTheLogsRecordBytesAndOldRowsAreFilledFromTheLog() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await PostgresTesting.createDatabase()
        defer { Task { await database.drop() } }
        let log = try await mirroredLog(sampleRecords(votes: 3000), at: directory.path, into: database.url)
        let source = PostgresEventSource(url: database.url, logger: PostgresTesting.logger)
        let polling = Task { try await source.run() }  // a source's connection closes when it stops running
        let inLog = try log.read(from: 0)
        #expect(try await source.records(from: 0, upTo: log.endPosition) == inLog, "the very bytes, positions, ids and times")
        let verifier = MirrorVerifier(log: log, url: database.url, rangeSize: 1000, logger: PostgresTesting.logger)
        #expect(try await verifier.verify().isEqual)

        let unfilled = try await PostgresTesting.withConnection(database.url) { connection in
            try await connection.query("UPDATE events SET record = NULL WHERE position % 3 = 1", logger: PostgresTesting.logger)
            return try await PostgresTesting.strings("SELECT count(*)::text FROM events WHERE record IS NULL", on: connection)
        }
        #expect(unfilled == ["\(inLog.count / 3)"])
        #expect(try await source.records(from: 0, upTo: log.endPosition) == inLog, "rows without bytes read through their JSON")
        #expect(try await verifier.verify().firstDifferingRange?.firstDifference == 1)

        try await backfill(log, into: database.url, batchSize: 500)
        let stillMissing = try await PostgresTesting.withConnection(database.url) {
            try await PostgresTesting.strings("SELECT count(*)::text FROM events WHERE record IS NULL", on: $0)
        }
        #expect(stillMissing == ["0"])
        #expect(try await verifier.verify().isEqual)

        try await PostgresTesting.withConnection(database.url) { connection in
            try await connection.query(
                "UPDATE events SET record = set_byte(record, length(record) - 1, get_byte(record, length(record) - 1) # 1) WHERE position = 2345",
                logger: PostgresTesting.logger)
        }
        #expect(try await verifier.verify().firstDifferingRange?.firstDifference == 2345)
        polling.cancel()
        try await polling.value
        try await log.close()
    }

    @Test func aReplicaBuildsTheWritersProjectionsFromAHotStandbyWithARoleThatReadsOnlyEvents() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let primary = try TestCluster()
        defer { primary.remove() }
        let standby = try TestCluster(standbyOf: primary)
        defer { standby.remove() }
        let database = try await PostgresTesting.createDatabase(on: primary.url)
        let records = sampleRecords(votes: 4000)
        let log = try await mirroredLog(records, at: directory.path, into: database.url)
        _ = try await PostgresTesting.withConnection(database.url) {
            try await $0.query("CREATE ROLE replica_a LOGIN IN ROLE moviemash_replica", logger: PostgresTesting.logger)
        }
        let asReplica = standby.url(database: database.name, user: "replica_a")
        let source = PostgresEventSource(url: asReplica, logger: PostgresTesting.logger)
        let polling = Task { try await source.run() }
        #expect(try await eventually(timeout: .seconds(60)) { source.status.end == UInt64(records.count) }, "\(source.status)")

        let replica = ProjectionCell(Tallies())
        let replicaRuntime = ProjectionRuntime(source: source, cells: replica, snapshots: nil, logger: PostgresTesting.logger)
        let writer = ProjectionCell(Tallies())
        let writerRuntime = ProjectionRuntime(source: LogEventSource(log), cells: writer, snapshots: nil, logger: PostgresTesting.logger)
        let running = [Task { try await replicaRuntime.run() }, Task { try await writerRuntime.run() }]
        #expect(try await eventually(timeout: .seconds(60)) {
            replica.current.position == UInt64(records.count) && writer.current.position == UInt64(records.count)
        })
        #expect(replica.current.state.stateHash == writer.current.state.stateHash)

        // The role reads events and the checkpoint, and nothing an analyst reads.
        let refused = await #expect(throws: (any Error).self) {
            try await PostgresTesting.withConnection(asReplica) {
                try await $0.query("SELECT count(*) FROM users_public", logger: PostgresTesting.logger)
            }
        }
        #expect(String(reflecting: refused).contains("permission denied") || String(reflecting: refused).contains("42501"), "\(String(reflecting: refused))")
        for task in running { task.cancel() }
        polling.cancel()
        for task in running { try await task.value }
        try await polling.value
        try await log.close()
        await database.drop()
    }
}
