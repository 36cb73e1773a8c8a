import Foundation
import Glibc
@testable import Recommender
import Synchronization
import Testing

@Suite struct WorkerThreadsTests {
    /// Work started on a low-priority thread stays at low priority on every thread it runs on (Dispatch's
    /// shared pool would run most of it at the pool's own), and every block runs exactly once.
    @Test func everyBlockRunsOnceAtTheCallersPriority() async {
        let seen = Mutex<[(block: Int, niceness: Int32, work: Double)]>([])
        let finished = Mutex<CheckedContinuation<Void, Never>?>(nil)
        await withCheckedContinuation { continuation in
            finished.withLock { $0 = continuation }
            Thread {
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
                WorkerThreads.forEach(blocks: 200, threads: 4) { block in
                    // Enough work per block for the other threads to take some.
                    let work = (0..<20_000).reduce(0.0) { $0 + sin(Double($1 + block)) }
                    let niceness = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
                    seen.withLock { $0.append((block, niceness, work)) }
                }
                finished.withLock { $0?.resume() }
            }.start()
        }
        let blocks = seen.withLock { $0 }
        #expect(blocks.map(\.block).sorted() == Array(0..<200))
        #expect(blocks.allSatisfy { $0.niceness == 19 && $0.work.isFinite })
    }
}
