import DequeModule
import Synchronization

/// Who may run bcrypt now: at most `workers` checks at once, at most `queueLimit` waiting for a turn, and
/// no client address holding more than `perAddress` of the running and waiting ones. At cost 12 a check
/// takes about a quarter of a second of a core, so without these bounds one client's parallel guesses
/// queue every other person's sign-in behind them. A pure decision; `PasswordChecks` keeps the waiters.
struct PasswordCheckAdmission: Sendable {
    enum Decision: Equatable, Sendable {
        case run
        case wait
        /// This address already holds its share: 429 at once.
        case refuseAddress
        /// Every worker is busy and the queue is full: 503 at once.
        case refuseFull
    }

    let workers: Int
    let queueLimit: Int
    let perAddress: Int
    private(set) var running = 0
    /// Addresses waiting, first come first served.
    private(set) var waiting = Deque<UInt128>()
    /// Running and waiting checks per address.
    private(set) var held: [UInt128: Int] = [:]

    init(workers: Int, queueLimit: Int, perAddress: Int) {
        self.workers = max(1, workers)
        self.queueLimit = max(0, queueLimit)
        self.perAddress = max(1, perAddress)
    }

    mutating func arrive(_ address: UInt128) -> Decision {
        guard held[address, default: 0] < perAddress else { return .refuseAddress }
        let decision: Decision
        if running < workers {
            running += 1
            decision = .run
        } else if waiting.count < queueLimit {
            waiting.append(address)
            decision = .wait
        } else {
            return .refuseFull
        }
        held[address, default: 0] += 1
        return decision
    }

    /// `address`'s check is done: true when the first waiter takes its worker now (the caller wakes it).
    mutating func finish(_ address: UInt128) -> Bool {
        if let count = held[address] { held[address] = count > 1 ? count - 1 : nil }
        if waiting.popFirst() != nil { return true }
        running = max(0, running - 1)
        return false
    }
}

/// Runs password checks under `PasswordCheckAdmission`: a refused one fails at once with a problem and
/// `Retry-After`, a waiting one resumes when a worker frees.
final class PasswordChecks: Sendable {
    private typealias Turn = CheckedContinuation<PasswordCheckAdmission.Decision, Never>
    private let state: Mutex<(admission: PasswordCheckAdmission, waiters: Deque<Turn>)>

    init(workers: Int, queueLimit: Int, perAddress: Int) {
        state = Mutex((PasswordCheckAdmission(workers: workers, queueLimit: queueLimit, perAddress: perAddress), []))
    }

    /// Checks waiting for a worker now.
    var queued: Int { state.withLock { $0.admission.waiting.count } }

    /// `work` once `address` is admitted; 429 when the address holds its share, 503 when all are busy.
    func run<T: Sendable>(for address: UInt128, _ work: () async throws -> T) async throws -> T {
        let decision = await withCheckedContinuation { (turn: Turn) in
            let decision = state.withLock { state in
                let decision = state.admission.arrive(address)
                if decision == .wait { state.waiters.append(turn) }
                return decision
            }
            if decision != .wait { turn.resume(returning: decision) }
        }
        switch decision {
        case .refuseAddress:
            throw Problem.tooManyRequests(.seconds(1), who: "this address")
        case .refuseFull:
            throw Problem(.serviceUnavailable, type: "busy", title: "Busy",
                          detail: "every password check is taken and the queue is full; retry in 1 s", retryAfter: 1)
        case .run, .wait:
            break
        }
        defer {
            let next = state.withLock { state in state.admission.finish(address) ? state.waiters.popFirst() : nil }
            next?.resume(returning: .run)
        }
        return try await work()
    }
}
