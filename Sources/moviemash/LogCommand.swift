import ArgumentParser
import EventLog
import EventStore
import Foundation
import Logging
import PostgresMirror
import MovieMashCore
import Projections
import Synchronization

/// `moviemash log …`: inspect, verify and exercise an event log directory.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Inspect, verify and dump an event log.",
        subcommands: [Stats.self, Verify.self, Dump.self, AppendSample.self, Restore.self])

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Segments, records, bytes and event types of a log.")

        @Argument(help: "The log directory.") var directory: String
        @Flag(help: "One JSON object on standard output instead of text.") var json = false

        func run() async throws {
            let log = try EventLog(directory: directory, mode: .readOnly)
            let segments = log.segments
            let bytes = segments.reduce(Int64(0)) { $0 + $1.bytes }
            var counts: [String: Int] = [:]
            var first: Timestamp?, last: Timestamp?
            let reader = log.reader()
            while let stored = try reader.next() {
                let envelope = try EventEnvelope(stored)
                counts[envelope.type.rawValue, default: 0] += 1
                first = min(first ?? envelope.occurredAt, envelope.occurredAt)
                last = max(last ?? envelope.occurredAt, envelope.occurredAt)
            }
            let records = log.endPosition
            if json {
                var object: [String: Any] = [
                    "log": directory, "records": records, "segmentCount": segments.count, "bytes": bytes, "types": counts,
                    "segments": segments.map { segment -> [String: Any] in
                        ["file": (segment.path as NSString).lastPathComponent, "basePosition": segment.basePosition, "endPosition": segment.endPosition,
                         "bytes": segment.bytes, "dictionaryBytes": segment.dictionaryBytes, "indexEntries": segment.indexEntries]
                    },
                ]
                if let first, let last { object["firstEvent"] = first.description; object["lastEvent"] = last.description }
                if let damage = log.damage { object["damage"] = "\(damage)" }
                try printJSON(object)
                return
            }
            print("log        \(directory)")
            print("records    \(records) (positions 0..<\(records))")
            print("segments   \(segments.count)")
            print("bytes      \(bytes) on disk" + (records > 0 ? String(format: ", %.1f per record", Double(bytes) / Double(records)) : ""))
            if let first, let last { print("time       \(first) … \(last)") }
            for (type, count) in counts.sorted(by: { $0.key < $1.key }) {
                print("  \(type.padding(toLength: 16, withPad: " ", startingAt: 0)) \(count)")
            }
            for segment in segments {
                print("segment    \((segment.path as NSString).lastPathComponent)  positions \(segment.basePosition)..<\(segment.endPosition)  \(segment.bytes) bytes  dictionary \(segment.dictionaryBytes) bytes  \(segment.indexEntries) index entries")
            }
            if let damage = log.damage { print("DAMAGE     \(damage)") }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every CRC, block and index; exit 0 if healthy, 1 if damaged, 2 if it cannot check.")

        @Argument(help: "The log directory.") var directory: String
        @Flag(help: "One JSON object on standard output instead of text (the exit status is the same).") var json = false

        func run() async throws {
            let report: VerificationReport
            var progress: Progress?
            do {
                report = try EventLog.verify(directory: directory) { checked, total in
                    if progress == nil { progress = Progress(total: UInt64(total), verb: "verified", noun: "bytes") }
                    progress?.show(UInt64(checked))
                }
                progress?.finish()
            } catch {
                FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
                throw ExitCode(2)
            }
            if json {
                try printJSON([
                    "log": directory, "healthy": report.isHealthy, "records": report.recordCount,
                    "segments": report.segments.map { segment -> [String: Any] in
                        var object: [String: Any] = [
                            "file": (segment.path as NSString).lastPathComponent, "basePosition": segment.basePosition,
                            "endPosition": segment.endPosition, "batches": segment.batches, "bytes": segment.bytes,
                            "indexMatches": segment.indexMatches, "tornTailBytes": segment.tornTailBytes,
                        ]
                        if let damage = segment.damage { object["damage"] = "\(damage)" }
                        return object
                    },
                ])
                if !report.isHealthy { throw ExitCode(1) }
                return
            }
            for segment in report.segments {
                let name = (segment.path as NSString).lastPathComponent
                var line = "\(name)  positions \(segment.basePosition)..<\(segment.endPosition)  \(segment.batches) batches  \(segment.bytes) bytes"
                line += segment.indexMatches ? "  index ok" : "  index stale (rebuilt on next open)"
                if segment.tornTailBytes > 0 { line += "  torn tail of \(segment.tornTailBytes) unacknowledged bytes (cut on next open)" }
                print(line)
                if let damage = segment.damage { print("  DAMAGE: \(damage)") }
            }
            print(report.isHealthy
                ? "healthy: \(report.recordCount) records, every CRC verified"
                : "DAMAGED: records after the first damage are not readable; see above")
            if !report.isHealthy { throw ExitCode(1) }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild a log from a PostgreSQL events table (disaster recovery): same positions, ids and events.",
            discussion: "Copies every event below the table's mirror checkpoint into the log directory (created if missing). An interrupted restore resumes when run again; a directory holding another log is refused. Afterwards `moviemash mirror verify` compares the two.")

        @Option(name: .customLong("from-postgres"), help: "postgres://user[:password]@host[:port]/database: the events table (a promoted standby's, say); else --from-postgres-file or $MOVIEMASH_POSTGRES.")
        var postgres: String?
        @Option(name: .customLong("from-postgres-file"), help: "A file whose first line is that URL.") var postgresFile: String?
        @Option(help: "The log directory to restore into.") var data: String
        @OptionGroup var logging: LoggingOptions
        @Option(help: "Events per appended batch.") var batchSize = 10_000

        func validate() throws {
            guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        }

        func run() async throws {
            let url = try PostgresOptions.resolve(postgres, file: postgresFile, flag: "--from-postgres")
            let start = ContinuousClock.now
            var bar: Progress?
            let report = try await LogRestore(url: url, directory: data, batchSize: batchSize, logger: try logging.logger(label: "moviemash.restore"))
                .run { position, end in
                    if bar == nil { bar = Progress(total: end, verb: "restored", noun: "events") }
                    bar?.show(position)
                }
            bar?.finish()
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            print("restored positions \(report.resumedFrom)..<\(report.end) from \(url.redacted) into \(data) in \(String(format: "%.1f", seconds)) s")
        }
    }

    struct Dump: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print events from a position on.")

        @Argument(help: "The log directory.") var directory: String
        @Option(help: "The first position to print.") var from: UInt64 = 0
        @Option(help: "How many events to print at most.") var limit: Int = .max
        @Flag(help: "One JSON envelope per line.") var json = false

        func run() async throws {
            let log = try EventLog(directory: directory, mode: .readOnly)
            guard from <= log.endPosition else {
                throw ValidationError("position \(from) is past the end of the log (\(log.endPosition))")
            }
            let reader = log.reader(from: from)
            var printed = 0
            let output = FileHandle.standardOutput
            while printed < limit, let stored = try reader.next() {
                let envelope = try EventEnvelope(stored)
                if json {
                    output.write(EventCodec.json(envelope) + Data([0x0A]))
                } else {
                    print("\(stored.position)\t\(envelope.occurredAt)\t\(envelope.type.rawValue)\t\(summary(envelope.event))")
                }
                printed += 1
            }
        }

        private func summary(_ event: Event) -> String {
            switch event {
            case .movieCatalogued(let e): "\(e.movieID) \(e.title)" + (e.year.map { " (\($0))" } ?? "")
            case .top4SetScraped(let e): "\(e.setID) \(e.letterboxdUser): " + e.movieIDs.map(\.slug).joined(separator: ", ")
            case .userRegistered(let e):
                switch e.personal {
                case .plain(let data): "\(e.userID) \(data.username)"
                case .sealed(let sealed): "\(e.userID) (personal data sealed, \(sealed.bytes.count) bytes)"
                }
            case .voteCast(let e): "\(e.voteID) user \(e.userID): \(e.winningSet) beat \(e.losingSet)"
            case .passwordChanged(let e): "\(e.userID) (personal data sealed anew)"
            case .signedOut(let e): "\(e.userID) token \(e.tokenID)"
            case .letterboxdClaimed(let e): "\(e.userID) (claimed Letterboxd name sealed, \(e.sealed.bytes.count) bytes)"
            case .userErased(let e): "\(e.userID)"
            }
        }
    }

    struct AppendSample: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "append-sample",
            abstract: "Append seeded sample events (catalogue, then votes) from concurrent appenders.")

        @Argument(help: "The log directory (created if missing).") var directory: String
        @Option(help: "Votes to append.") var votes = 1000
        @Flag(help: "Append the sample catalogue (films, sets, voters) first.") var catalogue = false
        @Option(help: "Concurrent appenders.") var concurrency = 16
        @Option(help: "always, never or interval:MS.") var fsync: EventLog.FsyncPolicy = .always
        @Option(help: "Seed of the sample data (same seed, same events).") var seed: UInt64 = 1
        @Option(help: "Films, sets and voters in the sample catalogue.") var films = 400
        @Option(help: "Top-4 sets in the sample catalogue.") var sets = 200
        @Option(help: "Voters in the sample catalogue.") var voters = 1000
        @Option(help: "Time of the first sample event, in milliseconds since 1970 (events follow 1–900 ms apart).")
        var startMilliseconds: Int64 = SampleEvents.defaultStart.milliseconds
        @Option(help: "Segment size in bytes at which the log rolls.") var segmentSize: Int64 = EventLog.Configuration().segmentSize
        @Flag(help: "Print 'ack POSITION EVENT-ID TIMESTAMP-MS PAYLOAD-BASE64' for each durable append, as it returns.")
        var printAcks = false
        @Flag(help: "Also print the median and 99th percentile of each vote's append, from call to durable return.")
        var latency = false

        func validate() throws {
            guard votes >= 0 else { throw ValidationError("--votes must not be negative") }
            guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
            guard films >= 4, sets >= 2, voters >= 1 else {
                throw ValidationError("the sample needs at least 4 films, 2 sets and 1 voter")
            }
            guard segmentSize >= 4096 else { throw ValidationError("--segment-size must be at least 4096 bytes") }
        }

        func run() async throws {
            var configuration = EventLog.Configuration()
            configuration.fsync = fsync
            configuration.segmentSize = segmentSize
            let log = try EventLog(directory: directory, configuration: configuration)
            var sample = SampleEvents(seed: seed, films: films, sets: sets, voters: voters, start: Timestamp(milliseconds: startMilliseconds))
            let acks = AckPrinter(enabled: printAcks)
            let start = ContinuousClock.now
            if catalogue {
                let records = sample.catalogueEvents().map(LogRecord.init)
                let positions = try await log.append(contentsOf: records)
                for (record, position) in zip(records, positions) { acks.print(position, record) }
            }
            let source = VoteSource(sample: sample, count: votes)
            let votesStart = ContinuousClock.now
            let durations = try await withThrowingTaskGroup(of: [Duration].self) { group in
                for _ in 0..<concurrency {
                    group.addTask { [latency] in
                        var durations: [Duration] = []
                        while let vote = source.next() {
                            let record = LogRecord(vote), called = ContinuousClock.now
                            acks.print(try await log.append(record), record)
                            if latency { durations.append(ContinuousClock.now - called) }
                        }
                        return durations
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let votesSeconds = (ContinuousClock.now - votesStart) / .seconds(1)
            try await log.close()
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            if !printAcks {
                print(String(format: "appended %d votes in %.2f s (%.0f per second, fsync %@, %d appenders); log end %llu",
                             votes, seconds, Double(votes) / max(seconds, 1e-9), fsync.description, concurrency, log.endPosition))
            }
            if latency, !durations.isEmpty {
                let sorted = durations.sorted(), milliseconds = { (d: Duration) in d / .milliseconds(1) }
                print(String(format: "votes alone: %.3f s (%.0f per second); latency p50 %.3f ms, p99 %.3f ms",
                             votesSeconds, Double(votes) / max(votesSeconds, 1e-9),
                             milliseconds(sorted[sorted.count / 2]), milliseconds(sorted[sorted.count * 99 / 100])))
            }
        }
    }
}

/// Hands out a fixed number of sample votes, in seed order, to concurrent appenders.
final class VoteSource: Sendable {
    private let state: Mutex<(sample: SampleEvents, remaining: Int)>

    init(sample: SampleEvents, count: Int) {
        state = Mutex((sample, count))
    }

    func next() -> EventEnvelope? {
        state.withLock { state in
            guard state.remaining > 0 else { return nil }
            state.remaining -= 1
            return state.sample.nextVote()
        }
    }
}

/// Writes one acknowledgement line per durable append, unbuffered, so a killed process has printed
/// exactly what it had acknowledged.
final class AckPrinter: Sendable {
    private let enabled: Bool
    private let lock = Mutex(())

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func print(_ position: UInt64, _ record: LogRecord) {
        guard enabled else { return }
        let line = "ack \(position) \(record.id.uuidString) \(record.timestamp) \(Data(record.payload).base64EncodedString())\n"
        lock.withLock { _ in FileHandle.standardOutput.write(Data(line.utf8)) }
    }
}

/// `object` as pretty-printed JSON with sorted keys, on standard output.
func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}
