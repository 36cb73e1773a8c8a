import Foundation
import Glibc
@testable import Projections
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
}
