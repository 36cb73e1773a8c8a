import ArgumentParser
import Gateway

/// The `moviemash` command line.
@main
struct MovieMash: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moviemash",
        abstract: "MovieMash: vote between Letterboxd top-4 sets; an event log and what is derived from it.",
        version: BuildInfo.description,
        subcommands: [LogCommand.self, MigrateCommand.self, MirrorCommand.self, ReplayCommand.self, ImportCommand.self, ScrapeCommand.self, ServeCommand.self])
}
