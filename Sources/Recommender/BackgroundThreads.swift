import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// CPU-heavy work (leaderboard fits, model training, the blocks of one training step) on threads of its
/// own, usually at a lower scheduling priority. Swift's cooperative pool has one thread per core: a fit
/// running there holds them all and every HTTP request waits behind it, while on these threads the kernel
/// gives requests the cores first and the fit the time left over. Dispatch's `concurrentPerform` is no
/// substitute: it runs most of the work on Dispatch's shared pool at the pool's priority, whatever the
/// caller's.
public enum BackgroundThreads {
    /// How the kernel weighs the work against the service's own threads.
    public enum Priority: Sendable {
        /// Refreshing a result readers already have: nice 19 under the SCHED_IDLE policy, so it runs on
        /// what the service leaves idle and yields the moment a request thread wakes.
        case low
        /// Making a result nobody has yet (the first fit, the first model): at nice 19 on a busy machine it
        /// could take minutes, and the service is not ready until it is done.
        case normal

        public var niceness: Int32 {
            switch self {
            case .low: 19
            case .normal: 0
            }
        }
    }

    /// Whether the task that started the work was cancelled: long work checks it between steps.
    public final class Cancellation: Sendable {
        private let flag = Atomic<Bool>(false)
        public var isCancelled: Bool { flag.load(ordering: .relaxed) }
        func cancel() { flag.store(true, ordering: .relaxed) }
    }

    /// Runs `work(worker, cancellation)` for every worker in `0..<workers`, each on a new thread at
    /// `priority` named `name` (what `top -H` shows; Linux keeps 15 bytes), and returns when all have
    /// finished. Cancelling the calling task sets `cancellation`.
    public static func run(
        workers: Int, priority: Priority, name: String, _ work: @escaping @Sendable (Int, Cancellation) -> Void
    ) async {
        let remaining = Atomic<Int>(workers)
        let cancellation = Cancellation()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                for worker in 0..<workers {
                    start {
                        setName(name)
                        lower(to: priority)
                        work(worker, cancellation)
                        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { continuation.resume() }
                    }
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Calls `body(block)` for every block in `0..<blocks` on up to `threads` threads, the calling thread
    /// one of them and the others new ones that inherit its name and priority (Linux threads start with
    /// their creator's policy and nice value), each taking the next block as it comes free; returns when
    /// all blocks are done.
    public static func forEach(blocks: Int, threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let next = Atomic<Int>(0)
        let work: @Sendable () -> Void = {
            while true {
                let block = next.add(1, ordering: .relaxed).oldValue
                guard block < blocks else { return }
                body(block)
            }
        }
        let finished = DispatchSemaphore(value: 0)
        let helpers = max(0, min(threads, blocks) - 1)
        for _ in 0..<helpers {
            start {
                work()
                finished.signal()
            }
        }
        work()
        for _ in 0..<helpers { finished.wait() }
    }

    /// Starts a thread with room for deep numeric recursion.
    private static func start(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The value `work` computes on a thread at `priority`.
    public static func value<T: Sendable>(priority: Priority, name: String, _ work: @escaping @Sendable () -> T) async -> T {
        let result = Mutex<T?>(nil)
        await run(workers: 1, priority: priority, name: name) { _, _ in
            let value = work()
            result.withLock { $0 = value }
        }
        return result.withLock { $0! }
    }

    // Otherwise a thread inherits its creator's name, and a fit showed as one of the cooperative pool's
    // threads. Written to the kernel directly: Foundation's `Thread.current.name` only reaches the kernel
    // once the starting thread has recorded the new one's handle, a race the new thread can win.
    private static func setName(_ name: String) {
        #if os(Linux)
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        #endif
    }

    private static func lower(to priority: Priority) {
        #if os(Linux)
        guard priority.niceness > 0 else { return }
        // On Linux the nice value and the policy belong to the thread: id 0 names the calling thread.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, priority.niceness)
        // SCHED_IDLE as well: at nice 19 a running fit kept the core until its slice ended when a request
        // thread woke (measured: fits took a fifth of the CPU while votes saturated it), while a SCHED_IDLE
        // thread gives the core up at once.
        var parameters = sched_param(sched_priority: 0)
        _ = sched_setscheduler(0, schedIdle, &parameters)
        #endif
    }

    /// Linux's SCHED_IDLE policy, which Glibc's Swift module does not export.
    public static let schedIdle: Int32 = 5
}
