import Foundation
import Synchronization

/// Parallel work on threads of its own, which start at the caller's priority. Dispatch's
/// `concurrentPerform` would run most of it on Dispatch's shared pool at the pool's priority, whatever the
/// caller's: a training started on a low-priority thread would still take the cores, and the threads,
/// that a hosting server's async jobs run on.
enum WorkerThreads {
    private final class NextBlock: Sendable {
        let value = Atomic<Int>(0)
    }

    /// Calls `body(block)` for every block in `0..<blocks` on up to `threads` threads (the calling thread
    /// is one, the others start at its priority), each taking the next block as it comes free; returns
    /// when all blocks are done.
    static func forEach(blocks: Int, threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let next = NextBlock()
        let work: @Sendable () -> Void = {
            while true {
                let block = next.value.add(1, ordering: .relaxed).oldValue
                guard block < blocks else { return }
                body(block)
            }
        }
        let finished = DispatchSemaphore(value: 0)
        let helpers = max(0, min(threads, blocks) - 1)
        for _ in 0..<helpers {
            Thread {
                work()
                finished.signal()
            }.start()
        }
        work()
        for _ in 0..<helpers { finished.wait() }
    }
}
