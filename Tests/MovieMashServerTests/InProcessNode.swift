import Logging
import MovieMashServer
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

/// Runs a node of `configuration` in its own service group, quietly: the node, its base URL (once it
/// listens), and the running group.
func startNode(_ configuration: ServerConfiguration) async throws -> (server: Server, base: String, group: ServiceGroup, running: Task<Void, any Error>) {
    let port = Mutex<Int?>(nil)
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    let server = try await Server(configuration: configuration, logger: logger) { bound in port.withLock { $0 = bound } }
    let group = ServiceGroup(services: [server], logger: logger)
    let running = Task { try await group.run() }
    #expect(try await eventually(timeout: .seconds(60)) { port.withLock { $0 } != nil })
    return (server, "http://127.0.0.1:\(port.withLock { $0 }!)", group, running)
}
