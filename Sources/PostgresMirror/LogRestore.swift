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
        var configuration = EventLog.Configuration()
        configuration.fsync = .never
        let log = try EventLog(directory: directory, configuration: configuration)
        let source = PostgresEventSource(url: url, logger: logger)
        let polling = Task { try await source.run() }
        do {
            let report = try await copy(from: source, into: log, progress: progress)
            try await log.sync()
            try await log.close()
            polling.cancel()
            _ = try? await polling.value
            return report
        } catch {
            try? await log.close()
            polling.cancel()
            _ = try? await polling.value
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
        var next = start
        progress(next, end)
        while next < end {
            // The rows' record bytes, appended as they are: the restored log holds the very bytes the
            // first one did.
            let records = try await source.records(from: next, upTo: min(end, next + UInt64(batchSize)))
            guard let last = records.last else { break }
            _ = try await log.append(contentsOf: records.map(\.record))
            next = log.endPosition
            guard next == last.position + 1 else {
                throw MirrorError(.query, "the restored log ends at \(next) after the table's events up to \(last.position): an event id appears twice")
            }
            progress(next, end)
        }
        return Report(resumedFrom: start, end: next)
    }
}
