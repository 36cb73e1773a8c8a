import Glibc
@testable import Projections
import Synchronization
import Testing

@Suite struct BackgroundThreadsTests {
    /// The nice value of the calling thread: on Linux PRIO_PROCESS with id 0 names the thread.
    private static func niceness() -> Int32 { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }

    @Test func refreshesYieldToTheServiceAndFirstResultsDoNot() async {
        let caller = Self.niceness()
        #expect(await BackgroundThreads.value(priority: .normal) { Self.niceness() } == caller)
        #expect(await BackgroundThreads.value(priority: .low) { Self.niceness() } == 19)
    }

    @Test func everyWorkerRunsAtThePriority() async {
        let seen = Mutex<[Int32]>([])
        await BackgroundThreads.run(workers: 3, priority: .low) { _, _ in
            let niceness = Self.niceness()
            seen.withLock { $0.append(niceness) }
        }
        #expect(seen.withLock { $0 } == [19, 19, 19])
    }
}
