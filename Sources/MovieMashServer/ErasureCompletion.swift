import KeyVault
import Logging
import MovieMashCore
import Projections
import ServiceLifecycle

/// Completes erasures a crash interrupted. An erasure appends `UserErased` and then destroys the key; a
/// process stopped between the two leaves a key the log says is gone. Once the accounts have applied
/// every event the log held at start, this destroys each such key, then idles until shutdown (a service
/// that returned would stop the node).
struct ErasureCompletion: Service {
    let accounts: ProjectorService<Accounts>
    let vault: KeyStore
    /// The log's end when the node started: every erasure before a crash is below it.
    let end: UInt64
    let logger: Logger

    /// The keys to destroy: those of users the log says are erased. (A key with no account is left: it may
    /// belong to a registration whose event is being appended.)
    static func keysToDestroy(holders: [UserID], erased: Set<UserID>) -> [UserID] {
        holders.filter(erased.contains).sorted { $0.uuidString < $1.uuidString }
    }

    func run() async throws {
        if await PositionSignal.wait(for: [accounts.reached], until: end, within: .seconds(86_400)) {
            for user in Self.keysToDestroy(holders: vault.keyHolders, erased: accounts.current.state.erased) {
                try vault.destroyKey(of: user)
                logger.notice("destroyed the key of an erased user (the erasure was interrupted before)", metadata: ["user": "\(user)"])
            }
        }
        try? await gracefulShutdown()
    }
}
