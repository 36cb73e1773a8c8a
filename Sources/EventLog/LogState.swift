import Synchronization

/// What readers may see of the log: the segments and how far each is durable, shared between the writer
/// (which publishes after each durable batch) and any number of readers.
final class LogState: Sendable {
    struct Segment: Sendable {
        var basePosition: UInt64
        var path: String
        var dictionary: [UInt8]
        var headerLength: Int64
        var index: SegmentIndex
        var endOffset: Int64
        var endPosition: UInt64

        /// A segment at `path` that holds its header and no batch yet.
        init(empty header: SegmentHeader, path: String) {
            self.init(
                basePosition: header.basePosition, path: path, dictionary: header.dictionary,
                headerLength: Int64(header.length), index: SegmentIndex(), endOffset: Int64(header.length),
                endPosition: header.basePosition)
        }

        init(basePosition: UInt64, path: String, dictionary: [UInt8], headerLength: Int64, index: SegmentIndex,
             endOffset: Int64, endPosition: UInt64) {
            self.basePosition = basePosition
            self.path = path
            self.dictionary = dictionary
            self.headerLength = headerLength
            self.index = index
            self.endOffset = endOffset
            self.endPosition = endPosition
        }
    }

    /// Where a reader should start looking for a position.
    struct Location: Sendable {
        var path: String
        var basePosition: UInt64
        var dictionary: [UInt8]
        /// A batch start at or before the position.
        var offset: Int64
        var position: UInt64
        var endOffset: Int64
    }

    fileprivate struct Inner {
        var segments: [Segment]
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
        var closed = false

        mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
    }

    private let inner: Mutex<Inner>
    /// Batches readers decoded lately, shared among them.
    let recentBatches = RecentBatches()

    init(segments: [Segment]) {
        inner = Mutex(Inner(segments: segments))
    }

    /// The position the next record will get: every position below it is durable and readable.
    var endPosition: UInt64 {
        inner.withLock { $0.segments.last?.endPosition ?? 0 }
    }

    var isClosed: Bool { inner.withLock { $0.closed } }

    var segments: [Segment] { inner.withLock { $0.segments } }

    func location(of position: UInt64) -> Location? {
        inner.withLock { state in
            guard position < (state.segments.last?.endPosition ?? 0) else { return nil }
            var low = 0, high = state.segments.count
            while low < high {
                let middle = (low + high) / 2
                if state.segments[middle].basePosition <= position { low = middle + 1 } else { high = middle }
            }
            let segment = state.segments[low - 1]
            let entry = segment.index.floor(position)
                ?? SegmentIndex.Entry(position: segment.basePosition, offset: segment.headerLength)
            return Location(
                path: segment.path, basePosition: segment.basePosition, dictionary: segment.dictionary,
                offset: entry.offset, position: entry.position, endOffset: segment.endOffset)
        }
    }

    /// The durable end offset of the segment starting at `basePosition`.
    func endOffset(ofSegment basePosition: UInt64) -> Int64? {
        inner.withLock { state in state.segments.last(where: { $0.basePosition == basePosition })?.endOffset }
    }

    /// Records that the last segment grew to `endOffset`/`endPosition`, and wakes tailing readers.
    func publish(endOffset: Int64, endPosition: UInt64, indexEntry: SegmentIndex.Entry?) {
        let waiters = inner.withLock { state in
            let last = state.segments.count - 1
            state.segments[last].endOffset = endOffset
            state.segments[last].endPosition = endPosition
            if let indexEntry { state.segments[last].index.append(indexEntry) }
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Replaces the last segment with `segments` (its grown self, then any newer ones) and wakes tailing
    /// readers: how a read-only log follows another process's writes.
    func publish(replacingLast segments: [Segment]) {
        let waiters = inner.withLock { state in
            state.segments.removeLast()
            state.segments.append(contentsOf: segments)
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    func publish(newSegment: Segment) {
        inner.withLock { $0.segments.append(newSegment) }
    }

    func close() {
        let waiters = inner.withLock { state in
            state.closed = true
            return state.takeWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the log's end exceeds `position` (a record there is readable), the log closes,
    /// or the task is cancelled.
    func waitUntilEnd(exceeds position: UInt64) async {
        let id = inner.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = inner.withLock { state in
                    if state.closed || Task.isCancelled || (state.segments.last?.endPosition ?? 0) > position {
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            inner.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
