import EventLog
import Gateway
import MovieMashCore
import PostgresMirror
import Projections

/// How far behind the log a projection may be while the node counts as ready: both bounds hold. A live
/// stream never lets a projection reach the log's very last event, so "ready" cannot mean "equal".
public struct ReadinessBounds: Sendable, Equatable {
    /// Events not yet applied.
    public var maximumLagEvents: UInt64 = 10_000
    /// Age of the oldest event not yet applied, in seconds.
    public var maximumLagSeconds: Double = 5
    /// Age of the oldest event the served Bradley–Terry fit does not cover, in seconds, before the node
    /// says it is degraded (it stays ready: stale ratings are better than none).
    public var maximumFitLagSeconds: Double = 30

    public init() {}
}

/// What `/ready` says, decided from what the node observes: pure, so tests need no server.
enum NodeReadiness {
    /// One projection as observed: how far it has applied, and the age of its oldest unapplied event.
    struct Projection: Sendable {
        var name: String
        var position: UInt64
        /// Nil when it has applied everything (or the age is unknown).
        var oldestUnappliedAge: Double?
        /// What else it still waits for before it can serve (the recommender's first model), if anything.
        var pending: String? = nil
    }

    /// The served Bradley–Terry fit as observed.
    struct Fit: Sendable {
        /// Where it stands against the counts (`FitCoverage.freshness`).
        var freshness: FitFreshness
        /// Events the counts have applied beyond the fit (0 while it is current).
        var lagEvents: UInt64
        /// Age of the oldest event it does not cover (nil when it covers everything, or unknown).
        var oldestUncoveredAge: Double?
    }

    /// Each projection within `bounds` of `end` and waiting for nothing else; a replica's source answering
    /// (or silent for at most the time bound); the writer taking appends (a node that cannot write must not get writes);
    /// the mirror reported but never gating (PostgreSQL being away does not stop votes).
    /// The leaderboards not ready until their first fit, then `current`, `updating`, or `degraded` (still
    /// ready) while the fit's oldest uncovered event is older than the fit bound.
    static func evaluate(
        end: UInt64, projections: [Projection], fit: Fit? = nil, writer: EventLog.WriterStatus?,
        mirror: PostgresMirror.Status?, source: PostgresEventSource.Status? = nil, bounds: ReadinessBounds,
        now: ContinuousClock.Instant = .now
    ) -> Readiness {
        var components = projections.map { projection in
            let lagEvents = end - min(projection.position, end)
            let lagSeconds = lagEvents == 0 ? 0 : max(0, projection.oldestUnappliedAge ?? 0)
            var problems: [String] = []
            if lagEvents > bounds.maximumLagEvents { problems.append("\(lagEvents) events behind, more than \(bounds.maximumLagEvents)") }
            if lagSeconds > bounds.maximumLagSeconds {
                problems.append("its oldest unapplied event is \(rounded(lagSeconds)) s old, more than \(rounded(bounds.maximumLagSeconds)) s")
            }
            if let pending = projection.pending { problems.append(pending) }
            return Readiness.Component(
                name: projection.name, ready: problems.isEmpty, lagEvents: lagEvents, lagSeconds: rounded(lagSeconds),
                detail: problems.isEmpty ? nil : problems.joined(separator: "; "))
        }
        if let fit {
            let fitted = fit.freshness != .pending
            let lagSeconds = fit.freshness == .current ? 0 : max(0, fit.oldestUncoveredAge ?? 0)
            let degraded = fitted && lagSeconds > bounds.maximumFitLagSeconds
            components.append(Readiness.Component(
                name: "leaderboards", ready: fitted, lagEvents: fit.lagEvents, lagSeconds: rounded(lagSeconds),
                state: degraded ? "degraded" : fit.freshness.rawValue,
                detail: !fitted ? "the first Bradley–Terry fit is still being computed"
                    : degraded ? "the served fit's oldest uncovered event is \(rounded(lagSeconds)) s old, more than \(rounded(bounds.maximumFitLagSeconds)) s" : nil))
        }
        if let writer {
            components.append(Readiness.Component(
                name: "writer", ready: writer == .up, state: writer.name,
                detail: writer.refusal.map { "appends are refused (\(explanation(of: $0))); healing in the background" }))
        }
        if let source {
            // A replica knows how far behind the writer it is only while its source answers: a silent
            // source for longer than the time bound makes it not ready.
            let silence = source.lastContact.map { ($0.duration(to: now)) / .seconds(1) }
            let ready = source.known && (source.connected || (silence ?? .infinity) <= bounds.maximumLagSeconds)
            components.insert(Readiness.Component(
                name: "source", ready: ready, lagSeconds: silence.map(rounded), state: source.connected ? "connected" : "unreachable",
                detail: ready ? nil : source.known ? "the events source has not answered for \(rounded(silence ?? 0)) s" : "the events source has not answered yet"),
                at: 0)
        }
        if let mirror {
            components.append(Readiness.Component(
                name: "mirror", ready: true, lagEvents: mirror.lagEvents, lagSeconds: rounded(mirror.lagSeconds), state: mirror.state.description))
        }
        return Readiness(components: components)
    }

    /// What failed, without the paths and offsets the operator's log has: `/ready` is public.
    static func explanation(of error: EventLogError) -> String {
        var cause = error
        while let inner = cause.cause as? EventLogError { cause = inner }
        if cause.code == .belowReserve { return "free space is below the reserve" }
        if let errno = cause.errno { return "\(cause.code), errno \(errno): \(String(cString: strerror(errno)))" }
        return "\(cause.code)"
    }

    private static func rounded(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
