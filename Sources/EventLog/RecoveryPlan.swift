/// What opening a log does with each segment it finds, decided apart from the files: cut a torn tail,
/// rebuild a stale index, remove a segment whose creation was interrupted, or stop at damage and name it.
///
/// Only the last segment can hold a torn write (appends go nowhere else); bad bytes anywhere else, or
/// followed by a valid batch, are damage that opens the log read-only up to them, never silent loss.
enum RecoveryPlan {
    enum Action: Equatable, Sendable {
        /// Truncate the segment to `offset` (cutting `bytes` never acknowledged) and sync it.
        case truncate(to: Int64, bytes: Int64)
        /// Write the index anew from the scan.
        case rebuildIndex
        /// Stop here: the segment is damaged at `offset`.
        case damaged(reason: String, offset: Int64)
    }

    /// What a scan of one segment found.
    struct Scan: Equatable, Sendable {
        /// Where the scan stopped early, why, and whether a valid batch follows the bad bytes.
        var stop: SegmentScan.Stop?
        var fileSize: Int64
        /// Whether the index on disk equals the one the scan built.
        var indexMatches: Bool
    }

    /// The last segment is shorter than its header: the writer died between creating it and syncing the
    /// header, so it holds nothing ever acknowledged. A writer removes it; a reader skips it, unless it is
    /// the only segment.
    static func interruptedLastSegment(writable: Bool, segments: Int) -> (remove: Bool, skip: Bool) {
        (remove: writable, skip: writable || segments > 1)
    }

    /// The actions for one scanned segment, and whether opening goes on to the next.
    static func segment(_ scan: Scan, isLast: Bool, writable: Bool) -> (actions: [Action], keepGoing: Bool) {
        var actions: [Action] = []
        if let stop = scan.stop {
            guard isLast, !stop.validBatchFollows else {
                return ([.damaged(reason: stop.reason, offset: stop.offset)], false)
            }
            if writable { actions.append(.truncate(to: stop.offset, bytes: scan.fileSize - stop.offset)) }
        }
        if writable, !scan.indexMatches { actions.append(.rebuildIndex) }
        return (actions, true)
    }
}
