import EventLog
import Gateway
@testable import MovieMashServer
@testable import PostgresMirror
import Projections
import Testing

@Suite struct NodeReadinessTests {
    var bounds: ReadinessBounds {
        var bounds = ReadinessBounds()
        bounds.maximumLagEvents = 1000
        bounds.maximumLagSeconds = 5
        return bounds
    }

    @Test func aProjectionALittleBehindALiveStreamIsReady() {
        let readiness = NodeReadiness.evaluate(
            end: 50_000,
            projections: [.init(name: "tallies", position: 50_000), .init(name: "elo", position: 49_990, oldestUnappliedAge: 0.04)],
            writer: .up, mirror: nil, bounds: bounds)
        #expect(readiness.isReady)
        #expect(readiness.components.map(\.lagEvents) == [0, 10, nil])
        #expect(readiness.components.last?.state == "up")
    }

    @Test func tooManyEventsOrTooOldAnEventBehindIsNotReadyAndSaysWhich() {
        let readiness = NodeReadiness.evaluate(
            end: 50_000,
            projections: [
                .init(name: "tallies", position: 48_000, oldestUnappliedAge: 0.5),
                .init(name: "elo", position: 49_999, oldestUnappliedAge: 9.25),
                .init(name: "catalogue", position: 50_000),
            ],
            writer: .up, mirror: nil, bounds: bounds)
        #expect(!readiness.isReady)
        #expect(readiness.reasons == [
            "tallies: 2000 events behind, more than 1000",
            "elo: its oldest unapplied event is 9.25 s old, more than 5.0 s",
        ])
    }

    @Test func aWaitingFirstModelKeepsTheRecommenderNotReady() {
        let readiness = NodeReadiness.evaluate(
            end: 10, projections: [.init(name: "interactions", position: 10, pending: "its first model is still being trained")],
            writer: nil, mirror: nil, bounds: bounds)
        #expect(readiness.reasons == ["interactions: its first model is still being trained"])
    }

    @Test func aFailedWriterIsNotReadyWithoutNamingFilesAndTheMirrorNeverGates() {
        let cause = EventLogError(.io, "pwrite failed", file: "/srv/log/00000000000000000000.log", offset: 4096, errno: 28)
        let failed = EventLogError(.writerFailed, "a write failed", errno: 28, cause: cause)
        var mirror = PostgresMirror.Status()
        mirror.state = .retrying("connection refused")
        mirror.lagEvents = 5_000_000
        mirror.lagSeconds = 3600
        let readiness = NodeReadiness.evaluate(
            end: 10, projections: [.init(name: "tallies", position: 10)], writer: .failed(failed), mirror: mirror, bounds: bounds)
        #expect(readiness.components.map(\.name) == ["tallies", "writer", "mirror"])
        #expect(readiness.reasons.count == 1)
        let reason = try! #require(readiness.reasons.first)
        #expect(reason.hasPrefix("writer: appends are refused (io, errno 28: No space left on device)"))
        #expect(!reason.contains("/srv/log"))
        #expect(readiness.components.last?.ready == true && readiness.components.last?.lagSeconds == 3600)
        let belowReserve = EventLogError(.writerFailed, "refused", cause: EventLogError(.belowReserve, "12 bytes free"))
        let full = NodeReadiness.evaluate(end: 0, projections: [], writer: .healing(belowReserve), mirror: nil, bounds: bounds)
        #expect(full.reasons == ["writer: appends are refused (free space is below the reserve); healing in the background"])
    }

    @Test func anOutageIsOneFaultWhateverTheOffsetsAndMessagesSay() {
        let first = EventLogError(.writerFailed, "x", cause: EventLogError(.io, "pwrite failed", offset: 10, errno: 28))
        let again = EventLogError(.writerFailed, "y", cause: EventLogError(.io, "pwrite failed", offset: 90, errno: 28))
        let other = EventLogError(.writerFailed, "z", cause: EventLogError(.io, "fdatasync failed", errno: 5))
        #expect(LogService.sameFault(first, again))
        #expect(!LogService.sameFault(first, other))
    }

    @Test func theLeaderboardsWaitForTheFirstFitThenSayHowFarBehindTheyAre() {
        func leaderboards(_ fit: NodeReadiness.Fit) -> Readiness {
            NodeReadiness.evaluate(end: 1000, projections: [.init(name: "tallies", position: 1000)], fit: fit, writer: .up, mirror: nil, bounds: bounds)
        }
        let pending = leaderboards(.init(freshness: .pending, lagEvents: 1000, oldestUncoveredAge: 2))
        #expect(!pending.isReady && pending.reasons == ["leaderboards: the first Bradley–Terry fit is still being computed"])
        #expect(pending.components[1].state == "pending")
        let current = leaderboards(.init(freshness: .current, lagEvents: 0))
        #expect(current.isReady && !current.isDegraded && current.components[1].state == "current")
        let updating = leaderboards(.init(freshness: .updating, lagEvents: 500, oldestUncoveredAge: 8))
        #expect(updating.isReady && !updating.isDegraded && updating.components[1].state == "updating")
        #expect(updating.components[1].lagSeconds == 8)
        let stale = leaderboards(.init(freshness: .updating, lagEvents: 500, oldestUncoveredAge: 31))
        #expect(stale.isReady && stale.isDegraded && stale.components[1].state == "degraded")
        #expect(stale.components[1].detail == "the served fit's oldest uncovered event is 31.0 s old, more than 30.0 s")
    }
}
