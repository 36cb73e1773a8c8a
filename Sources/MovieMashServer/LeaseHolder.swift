import Foundation
import Gateway
import Logging
import PostgresMirror
import Synchronization

/// Where a replica without a fixed `--writer` forwards writes: the node holding the writer lease, read
/// from its events database and kept for a moment, so a burst of writes costs one query.
final class LeaseHolder: Sendable {
    private let lease: WriterLease
    private let freshFor: Duration
    private let known = Mutex<(holder: String?, at: ContinuousClock.Instant)?>(nil)

    init(url: PostgresURL, freshFor: Duration = .milliseconds(250), logger: Logger) {
        lease = WriterLease(url: url, holder: "", logger: logger)
        self.freshFor = freshFor
    }

    var forwarding: WriteForwarding {
        WriteForwarding { await self.holder() }
    }

    /// The live lease's holder; nil while none holds it or the database cannot say.
    func holder() async -> String? {
        let now = ContinuousClock.now
        if let known = known.withLock({ $0 }), known.at.duration(to: now) < freshFor { return known.holder }
        let current = try? await lease.current()
        let holder = current.flatMap { $0.live && !$0.holder.isEmpty ? $0.holder : nil }
        known.withLock { $0 = (holder, now) }
        return holder
    }
}
