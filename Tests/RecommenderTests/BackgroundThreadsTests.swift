import Foundation
import Glibc
import Recommender
import Synchronization
import Testing

@Suite struct BackgroundThreadsTests {
    /// The nice value of the calling thread: on Linux PRIO_PROCESS with id 0 names the thread.
    private static func niceness() -> Int32 { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
    /// The calling thread's policy and nice value.
    private static func scheduling() -> [Int32] { [sched_getscheduler(0), niceness()] }

    /// The calling thread's name as the kernel has it (what `top -H` shows).
    private static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .newlines)
    }

    @Test func refreshesYieldToTheServiceAndFirstResultsDoNot() async {
        let caller = Self.scheduling()
        #expect(await BackgroundThreads.value(priority: .normal, name: "test-normal") { Self.scheduling() } == caller)
        #expect(await BackgroundThreads.value(priority: .low, name: "test-low") { Self.scheduling() } == [BackgroundThreads.schedIdle, 19])
    }

    @Test func everyWorkerRunsAtThePriority() async {
        let seen = Mutex<[[Int32]]>([])
        let names = Mutex<[String]>([])
        await BackgroundThreads.run(workers: 3, priority: .low, name: "a-name-over-15-bytes") { _, _ in
            let scheduling = Self.scheduling()
            seen.withLock { $0.append(scheduling) }
            names.withLock { $0.append(Self.threadName()) }
        }
        #expect(seen.withLock { $0 } == Array(repeating: [BackgroundThreads.schedIdle, 19], count: 3))
        #expect(names.withLock { $0 } == Array(repeating: "a-name-over-15-", count: 3))
    }

    /// Work started on a low-priority thread stays at low priority on every thread it runs on (Dispatch's
    /// shared pool would run most of it at the pool's own), and every block runs exactly once.
    @Test func everyBlockRunsOnceAtTheCallersPriority() async {
        let seen = Mutex<[(block: Int, niceness: Int32, work: Double)]>([])
        let finished = Mutex<CheckedContinuation<Void, Never>?>(nil)
        await withCheckedContinuation { continuation in
            finished.withLock { $0 = continuation }
            Thread {
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
                BackgroundThreads.forEach(blocks: 200, threads: 4) { block in
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
