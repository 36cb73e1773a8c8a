import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Failures to inject into the log's writes and syncs, on command: how tests reach the healing paths
/// (a short write, a full disk, an `fdatasync` that fails) on any machine, without a full file system.
///
/// Set it as `EventLog.Configuration.faults`; every write and sync of the log's segments and indexes
/// consults it first. Each queued fault fires once, at the next operation of its kind.
public final class FaultInjection: Sendable {
    public enum Fault: Sendable, Equatable {
        /// The next write stores only its first `bytes` bytes, then fails with `errno`.
        case shortWrite(bytes: Int, errno: Int32 = ENOSPC)
        /// The next write fails with `errno` before storing anything.
        case writeFails(errno: Int32 = ENOSPC)
        /// The next `fdatasync` fails with `errno` (the kernel may have dropped the dirty pages).
        case syncFails(errno: Int32 = EIO)
    }

    private let queued = Mutex<[Fault]>([])

    public init() {}

    /// Queues `fault` for the next operation of its kind.
    public func inject(_ fault: Fault) {
        queued.withLock { $0.append(fault) }
    }

    /// Faults queued and not fired yet.
    public var pending: [Fault] { queued.withLock { $0 } }

    /// The write fault to fire now, if one is queued.
    func takeWriteFault() -> Fault? {
        queued.withLock { faults in
            guard let index = faults.firstIndex(where: { if case .syncFails = $0 { false } else { true } }) else { return nil }
            return faults.remove(at: index)
        }
    }

    /// The errno of a sync fault to fire now, if one is queued.
    func takeSyncFault() -> Int32? {
        queued.withLock { faults in
            guard let index = faults.firstIndex(where: { if case .syncFails = $0 { true } else { false } }) else { return nil }
            guard case .syncFails(let code) = faults.remove(at: index) else { return nil }
            return code
        }
    }
}
