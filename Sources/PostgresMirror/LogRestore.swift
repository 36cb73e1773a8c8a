import EventLog
import EventStore
import Foundation
import Logging
import MovieMashCore

/// Disaster recovery: rebuilds a log from an `events` table (the mirror's, or a promoted standby's) with
/// the same positions, ids and events, so a new writer can start on it.
///
/// It copies every event below the mirror checkpoint (each row's record bytes as they are), in batches, each appended without a sync and the
/// log synced at the end (and before it reports). A restore that stops half-way resumes: a log that holds
/// the table's first N events (checked by the id at N − 1) gets the rest; a log holding anything else is
/// refused.
public struct LogRestore: Sendable {
    /// What a restore did.
    public struct Report: Sendable, Equatable {
        /// Events the log held before (a resumed restore).
        public var resumedFrom: UInt64
        /// The log's end afterwards: the table's checkpoint.
        public var end: UInt64
    }

    public var url: PostgresURL
    public var directory: String
    public var batchSize: Int
    public var logger: Logger

    public init(url: PostgresURL, directory: String, batchSize: Int = 10_000, logger: Logger) {
        self.url = url
        self.directory = directory
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Copies the events; `progress` gets the log's end after each batch and the table's checkpoint.
    public func run(progress: (UInt64, UInt64) -> Void = { _, _ in }) async throws -> Report {
        try await withSource { source in try await restore(into: try openLog(), from: source, progress: progress) }
    }

    /// The log opened for a restore: appends unsynced, the whole log synced once at the end.
    private func openLog() throws -> EventLog {
        var configuration = EventLog.Configuration()
        configuration.fsync = .never
        return try EventLog(directory: directory, configuration: configuration)
    }

    /// Runs `body` with the table as a source, stopped (its connection closed) before this returns.
    private func withSource<Value>(_ body: (PostgresEventSource) async throws -> Value) async throws -> Value {
        let source = PostgresEventSource(url: url, logger: logger)
        let polling = Task { try await source.run() }
        do {
            let value = try await body(source)
            polling.cancel()
            _ = try? await polling.value
            return value
        } catch {
            polling.cancel()
            _ = try? await polling.value
            throw error
        }
    }

    /// Copies the table's events below its checkpoint into `log`, syncs and closes it (closed on failure too).
    private func restore(into log: EventLog, from source: PostgresEventSource, progress: (UInt64, UInt64) -> Void = { _, _ in }) async throws -> Report {
        do {
            let report = try await copy(from: source, into: log, progress: progress)
            try await log.sync()
            try await log.close()
            return report
        } catch {
            try? await log.close()
            throw error
        }
    }

    private func copy(from source: PostgresEventSource, into log: EventLog, progress: (UInt64, UInt64) -> Void) async throws -> Report {
        let end = try await source.endPosition()
        let start = log.endPosition
        guard start <= end else {
            throw MirrorError(.foreignEvents, "\(directory) holds \(start) events but \(url.redacted) only \(end): it is not a restore of this table")
        }
        if start > 0 {
            let held = try log.read(from: start - 1, limit: 1).first?.record.id
            let stored = try await source.eventID(at: start - 1)
            guard let held, held == stored else {
                throw MirrorError(
                    .foreignEvents,
                    "\(directory) holds event \(held.map { "\($0)" } ?? "none") at position \(start - 1), \(url.redacted) holds \(stored.map { "\($0)" } ?? "none"): it is not a restore of this table")
            }
            logger.info("resuming a restore", metadata: ["log": "\(directory)", "from": "\(start)", "to": "\(end)"])
        }
        progress(start, end)
        try await Self.append(from: source, into: log, upTo: end, batchSize: batchSize) { progress($0, end) }
        return Report(resumedFrom: start, end: log.endPosition)
    }

    /// Appends the table's events from the log's end up to `end` to `log`, a batch at a time, each row's
    /// record bytes as they are, so the log holds the very bytes the first one did; `progress` gets the
    /// log's end after each batch. The log must hold the table's first events (the caller checks).
    public static func append(
        from source: PostgresEventSource, into log: EventLog, upTo end: UInt64, batchSize: Int, progress: (UInt64) -> Void = { _ in }
    ) async throws {
        var next = log.endPosition
        while next < end {
            let records = try await source.records(from: next, upTo: min(end, next + UInt64(batchSize)))
            guard let last = records.last else { break }
            _ = try await log.append(contentsOf: records.map(\.record))
            next = log.endPosition
            guard next == last.position + 1 else {
                throw MirrorError(.query, "the log ends at \(next) after the table's events up to \(last.position): an event id appears twice")
            }
            progress(next)
        }
    }

    /// What `rejoin` did.
    public struct Rejoined: Sendable, Equatable {
        /// Events the log held beyond what it shares with the table (never acknowledged), cut off.
        public var cut: UInt64
        /// The log's end afterwards: the table's checkpoint when it ran.
        public var end: UInt64
    }

    /// Brings the log of a writer-capable node in step with the table before it starts: the events it
    /// holds beyond its common prefix with the table (a returning writer's appends that were never
    /// committed, so never acknowledged under replicated durability) are cut off, then the table's later
    /// events copied in. A log that shares not even its first event with the table is refused.
    public func rejoin() async throws -> Rejoined {
        try await withSource { source in
            try await source.migrate()
            // One open serves the comparison and the copy; only a cut closes it in between.
            var log = try openLog()
            var cut: UInt64 = 0
            do {
                let held = log.endPosition
                let shared = try await commonPrefix(of: log, and: source, tableEnd: try await source.endPosition())
                if shared < held {
                    try await log.close()
                    let end = try await EventLog.cutBack(directory: directory, to: shared)
                    cut = held - shared
                    logger.notice(
                        "cut the log back to what the table holds: the rest was never acknowledged",
                        metadata: ["log": "\(directory)", "from": "\(held)", "to": "\(shared)", "copiedAgainFrom": "\(end)"])
                    log = try openLog()
                }
            } catch {
                try? await log.close()
                throw error
            }
            let report = try await restore(into: log, from: source)
            return Rejoined(cut: cut, end: report.end)
        }
    }

    /// How many first events the log and the table share (the same records, bytes and all, at the same
    /// positions), looking back from the shorter one's end over a window that grows until one matches.
    ///
    /// Ids alone would not do: a vote's id is its ticket's, so a vote retried on the new writer after
    /// the old one appended it (and never committed it) has the same id and other bytes.
    private func commonPrefix(of log: EventLog, and source: PostgresEventSource, tableEnd: UInt64) async throws -> UInt64 {
        let end = min(log.endPosition, tableEnd)
        guard end > 0 else { return 0 }
        var window: UInt64 = 4096
        while true {
            let start = end > window ? end - window : 0
            let stored = try await source.records(from: start, upTo: end).map(\.record)
            let held = try log.read(from: start, limit: Int(end - start)).map(\.record)
            guard held.count == stored.count else {
                throw MirrorError(.query, "\(directory) holds fewer events below \(end) than its end says")
            }
            guard let differs = held.indices.first(where: { held[$0] != stored[$0] }) else { return end }
            if differs > 0 { return start + UInt64(differs) }
            if start == 0 {
                throw MirrorError(
                    .foreignEvents,
                    "\(directory) and \(url.redacted) differ from their first event: the log is not of this cluster; move it away to start afresh")
            }
            window *= 4
        }
    }
}
