import Foundation
@testable import Gateway
import Synchronization
import Testing

@Suite struct PasswordCheckTests {
    /// Every branch of the admission, without I/O: workers first, then the queue in arrival order, an
    /// address beyond its share refused whatever is free, a full queue refused, and each finish handing its
    /// worker to the first waiter.
    @Test func admissionBoundsWorkersTheQueueAndEachAddressShare() {
        var admission = PasswordCheckAdmission(workers: 2, queueLimit: 2, perAddress: 2)
        let attacker: UInt128 = 1, person: UInt128 = 2, third: UInt128 = 3, fourth: UInt128 = 4
        #expect(admission.arrive(attacker) == .run)
        #expect(admission.arrive(attacker) == .run)
        #expect(admission.arrive(attacker) == .refuseAddress, "its share is two, running or waiting")
        #expect(admission.arrive(person) == .wait, "both workers busy: the person waits first in line")
        #expect(admission.arrive(third) == .wait)
        #expect(admission.arrive(fourth) == .refuseFull)
        let handedOn = admission.finish(attacker)
        #expect(handedOn, "the first waiter, the person, takes the freed worker")
        #expect(Array(admission.waiting) == [third] && admission.running == 2)
        #expect(admission.arrive(attacker) == .wait, "one of its two is done: it may wait again, behind the others")
        let handed = [admission.finish(person), admission.finish(attacker)]
        #expect(handed == [true, true], "the third, then the attacker's waiting check, take the freed workers")
        #expect(admission.running == 2 && admission.waiting.isEmpty)
        let last = [admission.finish(third), admission.finish(attacker)]
        #expect(last == [false, false])
        #expect(admission.running == 0 && admission.held.isEmpty, "nothing held once all are done")
    }

    /// The gate over real tasks: a person's check waits only for a running one, while the flooding address
    /// is refused at once (429, Retry-After) and the full queue answers 503.
    @Test func theGateLetsAPersonThroughWhileAFloodIsRefusedAtOnce() async throws {
        let checks = PasswordChecks(workers: 1, queueLimit: 1, perAddress: 1)
        let release = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let started = Atomic<Int>(0)
        let blocker = Task {
            try await checks.run(for: 1) {
                await withCheckedContinuation { continuation in
                    release.withLock { $0 = continuation }
                    started.add(1, ordering: .sequentiallyConsistent)
                }
            }
        }
        while started.load(ordering: .sequentiallyConsistent) == 0 { await Task.yield() }
        await #expect(throws: Problem.self) { try await checks.run(for: 1) { 0 } }
        let person = Task { try await checks.run(for: 2) { 42 } }
        // Once the person waits in the one place in line, a third address finds the queue full.
        while checks.queued == 0 { await Task.yield() }
        do {
            _ = try await checks.run(for: 3) { 0 }
            Issue.record("a third check ran while the only worker was held")
        } catch let refusal as Problem {
            #expect(refusal.statusCode == 503 && refusal.retryAfter == 1)
        }
        release.withLock { $0?.resume(); $0 = nil }
        try await blocker.value
        #expect(try await person.value == 42)
    }
}
