import Foundation
import Logging
import PostgresNIO

/// The `writer_lease` row (migration 011), as one node uses it: take an ended lease, renew or release
/// its own, and read who holds it.
///
/// Taking the lease also moves the mirror checkpoint's epoch in the same statement, so from its commit on
/// a mirror still fenced with the old epoch moves the checkpoint no more (`PostgresMirror`'s fence). A
/// commit of the old writer already in flight holds the checkpoint's row lock, and the takeover waits for
/// it (at most `lockTimeout`, then it is a failed attempt): the checkpoint it returns is final.
public final class WriterLease: Sendable {
    /// The lease as the table holds it.
    public struct Holder: Sendable, Equatable {
        /// The holder's address (its `--advertise` URL), empty before anyone took the lease.
        public var holder: String
        public var epoch: Int64
        /// Whether it has not ended by the server's clock.
        public var live: Bool
    }

    /// A lease just taken: its epoch, and the checkpoint, every event below which is in the table.
    public struct Taken: Sendable, Equatable {
        public var epoch: Int64
        public var checkpoint: UInt64
    }

    private let url: PostgresURL
    private let holder: String
    private let connection: SourceConnection
    private let logger: Logger

    /// `holder` is how other nodes reach this one (replicas forward writes there).
    public init(url: PostgresURL, holder: String, logger: Logger) {
        self.url = url
        self.holder = holder
        self.logger = logger
        connection = SourceConnection(url: url, logger: logger)
    }

    /// Takes the lease for `duration` if it has ended; nil while another node holds it.
    public func takeOver(for duration: Duration, lockTimeout: Duration) async throws -> Taken? {
        let (holder, logger) = (self.holder, self.logger)
        return try await connection.run { connection in
            try await connection.withTransaction(logger: logger) { connection in
                _ = try await connection.query(
                    PostgresQuery(unsafeSQL: "SET LOCAL lock_timeout = \(Self.milliseconds(lockTimeout))"), logger: logger)
                let rows = try await connection.query("""
                    WITH taken AS (
                        UPDATE writer_lease SET holder = \(holder), epoch = epoch + 1,
                            expires_at = clock_timestamp() + \(Self.milliseconds(duration)) * interval '1 millisecond'
                        WHERE expires_at < clock_timestamp() RETURNING epoch),
                    fenced AS (
                        UPDATE mirror_checkpoint SET epoch = (SELECT epoch FROM taken)
                        WHERE EXISTS (SELECT FROM taken) RETURNING next_position)
                    SELECT taken.epoch, fenced.next_position FROM taken, fenced
                    """, logger: logger)
                for try await (epoch, checkpoint) in rows.decode((Int64, Int64).self) {
                    return Taken(epoch: epoch, checkpoint: UInt64(checkpoint))
                }
                return nil
            }
        }
    }

    /// Extends the lease by `duration` from now if it still holds `epoch`; false once another node took it.
    public func renew(epoch: Int64, for duration: Duration) async throws -> Bool {
        try await !connection.values("""
            UPDATE writer_lease SET expires_at = clock_timestamp() + \(Self.milliseconds(duration)) * interval '1 millisecond'
            WHERE epoch = \(epoch) RETURNING epoch
            """, as: Int64.self).isEmpty
    }

    /// Ends the lease of `epoch` now (a graceful stop), so a standby need not wait for it to run out.
    public func release(epoch: Int64) async throws {
        _ = try await connection.values(
            "UPDATE writer_lease SET expires_at = '-infinity' WHERE epoch = \(epoch) RETURNING epoch", as: Int64.self)
    }

    /// Who holds the lease.
    public func current() async throws -> Holder? {
        let logger = self.logger
        return try await connection.run { connection in
            let rows = try await connection.query(
                "SELECT holder, epoch, expires_at >= clock_timestamp() FROM writer_lease", logger: logger)
            for try await (holder, epoch, live) in rows.decode((String, Int64, Bool).self) {
                return Holder(holder: holder, epoch: epoch, live: live)
            }
            return nil
        }
    }

    public func close() async {
        await connection.close()
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        max(1, duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
