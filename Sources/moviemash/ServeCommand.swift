import ArgumentParser
import Foundation
import Gateway
import Logging
import MovieMashCore
import MovieMashServer
import ServiceLifecycle

/// `moviemash serve`: a running node. The settings and their documentation are `ServerConfiguration`'s.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run MovieMash: the log, the projections, the recommender, the optional PostgreSQL mirror and the HTTP gateway.",
        discussion: """
            Settings come from flags, then the environment, then the JSON file of --config:
            \(ServerConfiguration.help)
            SIGTERM or SIGINT stops accepting requests, lets those in flight finish, flushes and closes the log.
            """)

    @Argument(parsing: .allUnrecognized, help: "Settings, as --key VALUE (see below).") var settings: [String] = []

    func run() async throws {
        let configuration: ServerConfiguration
        do {
            configuration = try await ServerConfiguration.load(arguments: settings, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.description)
        }
        // Every logger of the process, the libraries' too, in the chosen format (once per process: serve runs once).
        LoggingSystem.bootstrap { configuration.logFormat.handler(label: $0) }
        var logger = Logger(label: "moviemash")
        logger.logLevel = configuration.logLevel
        let server: Server
        do { server = try await Server(configuration: configuration, logger: logger) } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}
