import ArgumentParser
import EventLog
import EventStore
import Foundation
import MovieMashCore
import Projections

/// `moviemash import …`: turn outside datasets into events.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Append events derived from a dataset.", subcommands: [MovieLensImport.self])

    struct MovieLensImport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "movielens",
            abstract: "Append MovieLens-100k as films, one top-4 set per user, voters and a derived vote stream.",
            discussion: "The rules are in Documentation/Projections.md (MovieLens-100k). Importing again appends nothing: event ids derive from the seed.")

        @Argument(help: "A directory holding ml-100k.inter and ml-100k.item (recbole's atomic files).") var path: String
        @Option(help: "The log directory (created if missing).") var data: String
        @Option(help: "Rounds of votes: each user votes once per round.") var votesPerVoter = 20
        @Option(help: "Seed of ids and vote draws.") var seed: UInt64 = 1
        @Option(help: "always, never or interval:MS.") var fsync: EventLog.FsyncPolicy = .interval(milliseconds: 100)

        func run() async throws {
            let dataset: MovieLens
            do { dataset = try MovieLens(directory: path) } catch { throw ValidationError("\(error)") }
            let events = try dataset.events(votesPerVoter: votesPerVoter, seed: seed)
            var configuration = EventLog.Configuration()
            configuration.fsync = fsync
            let log = try EventLog(directory: data, configuration: configuration)
            let appender = LogAppender(log: log)
            let before = log.endPosition
            var progress = Progress(total: UInt64(events.count), verb: "imported", noun: "events")
            for start in stride(from: 0, to: events.count, by: 4096) {
                let end = min(start + 4096, events.count)
                _ = try await appender.append(contentsOf: Array(events[start..<end]))
                progress.show(UInt64(end))
            }
            progress.finish()
            try await log.sync()
            let added = log.endPosition - before
            try await log.close()
            let counts = Dictionary(grouping: events, by: \.type).mapValues(\.count)
            print("\(events.count) events (\(counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")))")
            print("\(added) appended to \(data), \(UInt64(events.count) - added) already there")
        }
    }
}
