@testable import EventLog
import Testing

@Suite struct RecoveryPlanTests {
    typealias Scan = RecoveryPlan.Scan

    @Test func aCleanSegmentNeedsNothing() {
        for (isLast, writable) in [(true, true), (false, true), (true, false)] {
            let plan = RecoveryPlan.segment(Scan(fileSize: 4096, indexMatches: true), isLast: isLast, writable: writable)
            #expect(plan.actions == [] && plan.keepGoing)
        }
    }

    @Test func aTornTailOfTheLastSegmentIsCutByAWriterAndLeftByAReader() {
        let torn = Scan(stop: .init(offset: 1000, reason: "batch ends early", validBatchFollows: false), fileSize: 1300, indexMatches: true)
        #expect(RecoveryPlan.segment(torn, isLast: true, writable: true) == ([.truncate(to: 1000, bytes: 300)], true))
        #expect(RecoveryPlan.segment(torn, isLast: true, writable: false) == ([], true))
    }

    @Test func badBytesBeforeTheEndAreDamageNeverCut() {
        let followed = Scan(stop: .init(offset: 1000, reason: "CRC mismatch", validBatchFollows: true), fileSize: 5000, indexMatches: false)
        let sealed = Scan(stop: .init(offset: 1000, reason: "CRC mismatch", validBatchFollows: false), fileSize: 5000, indexMatches: false)
        for writable in [true, false] {
            #expect(RecoveryPlan.segment(followed, isLast: true, writable: writable) == ([.damaged(reason: "CRC mismatch", offset: 1000)], false))
            #expect(RecoveryPlan.segment(sealed, isLast: false, writable: writable) == ([.damaged(reason: "CRC mismatch", offset: 1000)], false))
        }
    }

    @Test func aStaleIndexIsRebuiltOnlyByAWriterAfterAnyCut() {
        let stale = Scan(fileSize: 4096, indexMatches: false)
        #expect(RecoveryPlan.segment(stale, isLast: false, writable: true) == ([.rebuildIndex], true))
        #expect(RecoveryPlan.segment(stale, isLast: false, writable: false) == ([], true))
        let tornAndStale = Scan(stop: .init(offset: 10, reason: "short", validBatchFollows: false), fileSize: 20, indexMatches: false)
        #expect(RecoveryPlan.segment(tornAndStale, isLast: true, writable: true) == ([.truncate(to: 10, bytes: 10), .rebuildIndex], true))
    }

    @Test func anInterruptedLastSegmentIsRemovedByAWriterAndSkippedByAReaderUnlessItIsAlone() {
        #expect(RecoveryPlan.interruptedLastSegment(writable: true, segments: 1) == (true, true))
        #expect(RecoveryPlan.interruptedLastSegment(writable: false, segments: 3) == (false, true))
        #expect(RecoveryPlan.interruptedLastSegment(writable: false, segments: 1) == (false, false))
    }
}
