import ArgumentParser
import EventLog
import EventStore
import Foundation
import Logging
import PostgresMirror
import ServiceLifecycle

/// `moviemash migrate`: bring a PostgreSQL database to the schema of `Schemas/sql`.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply the migrations of Schemas/sql that a database lacks.")

    @OptionGroup var postgres: PostgresOptions
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let url = try postgres.url()
        let applied = try await Migrator.migrate(url, logger: try logging.logger(label: "moviemash.migrate"))
        print(applied.isEmpty
            ? "\(url.redacted) is up to date"
            : "applied \(applied.map(\.name).joined(separator: ", ")) to \(url.redacted)")
    }
}

/// `moviemash mirror`: copy the log into PostgreSQL, alone (backfill or follow), or verify the copy.
struct MirrorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mirror", abstract: "Mirror the event log into PostgreSQL, verify the mirror, or rebuild its typed tables.",
        subcommands: [Run.self, Verify.self, Rebuild.self], defaultSubcommand: Run.self)

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mirror the log to its current end (backfill), or keep following it with --follow.")

        @Option(help: "The log directory.") var data: String
        @OptionGroup var postgres: PostgresOptions
        @OptionGroup var logging: LoggingOptions
        @Flag(help: "Keep following the log until SIGINT or SIGTERM.") var follow = false
        @Option(help: "Events per transaction.") var batchSize = 20_000

        func validate() throws {
            guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        }

        func run() async throws {
            let url = try postgres.url()
            let log = try EventLog(directory: data, mode: .readOnly)
            var configuration = PostgresMirror.Configuration()
            configuration.follow = follow
            configuration.batchSize = batchSize
            let logger = try logging.logger(label: "moviemash.mirror")
            let mirror = PostgresMirror(log: log, url: url, configuration: configuration, logger: logger)
            let start = ContinuousClock.now
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: mirror, successTerminationBehavior: .gracefullyShutdownGroup)],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            // The backfill's progress, up to the log's end as it was at the start.
            let progress = SharedProgress(verb: "mirrored", noun: "events"), end = log.endPosition
            let watcher = Task {
                while !Task.isCancelled, mirror.status.nextPosition < end {
                    progress.show(mirror.status.nextPosition, of: end)
                    try? await Task.sleep(for: .milliseconds(250))
                }
                progress.show(end, of: end)
            }
            defer { watcher.cancel() }
            try await group.run()
            watcher.cancel()
            progress.finish()
            let seconds = (ContinuousClock.now - start) / .seconds(1)
            let status = mirror.status
            print(String(format: "mirrored up to position %llu of %llu in %.1f s", status.nextPosition, log.endPosition, seconds))
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compare log and table per position range; exit 0 if equal, 1 if not, naming the first difference.")

        @Option(help: "The log directory.") var data: String
        @OptionGroup var postgres: PostgresOptions
        @OptionGroup var logging: LoggingOptions
        @Option(help: "Positions per compared range.") var rangeSize: UInt64 = 100_000

        func run() async throws {
            let url = try postgres.url()
            let log = try EventLog(directory: data, mode: .readOnly)
            let progress = SharedProgress(verb: "compared", noun: "positions")
            let report = try await MirrorVerifier(
                log: log, url: url, rangeSize: rangeSize, logger: try logging.logger(label: "moviemash.verify")).verify { progress.show($0, of: $1) }
            progress.finish()
            print("log end \(report.logEnd), mirror checkpoint \(report.checkpoint), \(report.ranges.count) ranges compared")
            for table in report.typedTables where !table.isEqual {
                print("DIFFERENT: analytics.\(table.table) lacks \(table.missing) rows that events derives and holds \(table.extra) it does not"
                    + " (moviemash mirror rebuild derives it again)")
            }
            guard let range = report.firstDifferingRange else {
                guard report.isEqual else { throw ExitCode(1) }
                print("equal: every position of the log is in the table once, with the same event, and the typed tables "
                    + "(\(report.typedTables.map(\.table).joined(separator: ", "))) hold exactly what events derives")
                return
            }
            print("DIFFERENT: positions \(range.positions.lowerBound)..<\(range.positions.upperBound): "
                + "log \(range.logCount) events (hash \(range.logHash)), table \(range.tableCount) (hash \(range.tableHash))"
                + (range.firstDifference.map { "; first difference at position \($0)" } ?? ""))
            throw ExitCode(1)
        }
    }

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Derive the typed tables of schema analytics again from events, in one transaction (the mirror waits meanwhile).")

        @OptionGroup var postgres: PostgresOptions
        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let url = try postgres.url()
            let start = ContinuousClock.now
            let events = try await AnalyticsTables(url: url, logger: try logging.logger(label: "moviemash.rebuild")).rebuild()
            print(String(format: "rebuilt the typed tables from %llu events in %.1f s", events, (ContinuousClock.now - start) / .seconds(1)))
        }
    }
}
