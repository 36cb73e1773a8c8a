import KeyVault
import Logging
import MovieMashCore
import Projections
import ServiceLifecycle

/// Completes erasures a crash interrupted (`Erasure`): once the accounts have applied every event the
/// log held at start, it destroys each key the log says is gone, then idles until shutdown (a service
/// that returned would stop the node).
struct ErasureCompletion: Service {
    let accounts: ProjectionCell<Accounts>
    let vault: KeyStore
    /// The log's end when the node started: every erasure before a crash is below it.
    let end: UInt64
    let logger: Logger

    func run() async throws {
        if await PositionSignal.wait(for: [accounts.reached], until: end, within: .seconds(86_400)) {
            for user in try Erasure.completeInterrupted(vault: vault, erased: accounts.current.state.erased) {
                logger.notice("destroyed the key of an erased user (the erasure was interrupted before)", metadata: ["user": "\(user)"])
            }
        }
        try? await gracefulShutdown()
    }
}
