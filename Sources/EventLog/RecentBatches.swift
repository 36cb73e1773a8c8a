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
        var order: [Key] = []
        var oldest = 0
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
            entries.order.append(key)
            entries.bytes += size
            while entries.bytes > byteLimit, entries.oldest < entries.order.count {
                let old = entries.order[entries.oldest]
                entries.oldest += 1
                entries.bytes -= entries.batches.removeValue(forKey: old)?.bytes ?? 0
            }
            if entries.oldest > 1024 {
                entries.order.removeFirst(entries.oldest)
                entries.oldest = 0
            }
        }
    }
}
