import DequeModule
import Synchronization

/// Batches lately decoded by any reader of a log, for the other readers: a service following the live end
/// with several readers (one per projection) would otherwise read, check and decompress every new batch
/// once per reader. A batch at a given segment offset never changes while the log is open (appends only
/// add after the durable end), so an entry never goes stale; the oldest go once `byteLimit` is passed.
final class RecentBatches: Sendable {
    struct Batch: Sendable {
        var records: [StoredRecord]
        /// The batch's length in the segment file: where the next batch starts.
        var length: Int64
        var bytes: Int { records.reduce(0) { $0 + $1.record.payload.count } }
    }

    private struct Key: Hashable {
        var segment: UInt64
        var offset: Int64
    }

    private struct Entries {
        var batches: [Key: Batch] = [:]
        /// Oldest first, with the payload bytes each holds.
        var order = Deque<(key: Key, bytes: Int)>()
        var bytes = 0
    }

    private let byteLimit: Int
    private let entries = Mutex(Entries())

    init(byteLimit: Int = 4 << 20) {
        self.byteLimit = byteLimit
    }

    func batch(segment: UInt64, offset: Int64) -> Batch? {
        entries.withLock { $0.batches[Key(segment: segment, offset: offset)] }
    }

    func remember(_ batch: Batch, segment: UInt64, offset: Int64) {
        let key = Key(segment: segment, offset: offset), size = batch.bytes
        guard size <= byteLimit / 4 else { return }
        entries.withLock { entries in
            guard entries.batches.updateValue(batch, forKey: key) == nil else { return }
            entries.order.append((key, size))
            entries.bytes += size
            while entries.bytes > byteLimit, let old = entries.order.popFirst() {
                entries.batches[old.key] = nil
                entries.bytes -= old.bytes
            }
        }
    }
}
