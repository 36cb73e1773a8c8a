import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// CPU-heavy background work (leaderboard fits, model training) on threads of its own at a lower
/// scheduling priority. Swift's cooperative pool has one thread per core: a fit running there holds them
/// all and every HTTP request waits behind it, while on these threads the kernel gives requests the cores
/// first and the fit the time left over.
enum BackgroundThreads {
    /// How much lower than the service's threads background work is scheduled (a nice increment): at 19
    /// the kernel gives it about 1/70 of a busy core, and all of an idle one.
    static let niceness: Int32 = 19

    /// Whether the task that started the work was cancelled: long work checks it between steps.
    final class Cancellation: Sendable {
        private let flag = Atomic<Bool>(false)
        var isCancelled: Bool { flag.load(ordering: .relaxed) }
        func cancel() { flag.store(true, ordering: .relaxed) }
    }

    /// Runs `work(worker, cancellation)` for every worker in `0..<workers`, each on a new low-priority
    /// thread, and returns when all have finished. Cancelling the calling task sets `cancellation`.
    static func run(workers: Int, _ work: @escaping @Sendable (Int, Cancellation) -> Void) async {
        let remaining = Atomic<Int>(workers)
        let cancellation = Cancellation()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                for worker in 0..<workers {
                    let thread = Thread {
                        lowerPriority()
                        work(worker, cancellation)
                        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { continuation.resume() }
                    }
                    thread.stackSize = 8 << 20
                    thread.start()
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// The value `work` computes on a low-priority thread.
    static func value<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        let result = Mutex<T?>(nil)
        await run(workers: 1) { _, _ in
            let value = work()
            result.withLock { $0 = value }
        }
        return result.withLock { $0! }
    }

    private static func lowerPriority() {
        #if os(Linux)
        // On Linux the nice value belongs to the thread: PRIO_PROCESS with id 0 names the calling thread.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        #endif
    }
}
