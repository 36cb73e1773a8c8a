import Foundation
import HTTPTypes
import Hummingbird

/// Read your writes on any node: every response carries the log position its reads reflect
/// (`MovieMash-Position`, the count of events applied, so a write's answer carries its event's position
/// plus one), and a request may ask for at least a position (`MovieMash-Min-Position`, or the position an
/// access token carries). The node waits up to `bound` to get there, else answers `503 stale-replica`.
public struct Consistency: Sendable {
    /// The position every read reflects now.
    public var position: @Sendable () -> UInt64
    /// Whether the node reaches a position within a duration.
    public var reach: @Sendable (UInt64, Duration) async -> Bool
    /// How long a request waits for its position.
    public var bound: Duration

    public init(
        position: @escaping @Sendable () -> UInt64, reach: @escaping @Sendable (UInt64, Duration) async -> Bool,
        bound: Duration = .seconds(2)
    ) {
        self.position = position
        self.reach = reach
        self.bound = bound
    }

    /// A read model that tracks no positions (routes tested alone): it reports 0 and never waits.
    public static let none = Consistency(position: { 0 }, reach: { _, _ in true })

    public static let positionHeader = HTTPField.Name("MovieMash-Position")!
    public static let minimumHeader = HTTPField.Name("MovieMash-Min-Position")!

    /// The position `request` asks for, or a 400 problem for one that is not a whole number.
    static func minimum(of request: Request) throws(Problem) -> UInt64? {
        guard let text = request.headers.value(minimumHeader) else { return nil }
        guard let value = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
            throw Problem(.badRequest, type: "invalid-min-position", title: "Invalid MovieMash-Min-Position",
                          detail: "MovieMash-Min-Position is a log position (a whole number), not '\(text)'")
        }
        return value
    }

    /// Returns once the node's reads reflect at least `target`, or throws `503 stale-replica`.
    func require(_ target: UInt64) async throws(Problem) {
        guard target > position() else { return }
        guard await reach(target, bound) else {
            let seconds = max(1, Int((bound / .seconds(1)).rounded(.up)))
            throw Problem(.serviceUnavailable, type: "stale-replica", title: "Node behind",
                          detail: "this node reflects log position \(position()); the request needs \(target); retry in \(seconds) s (another node may have it)",
                          retryAfter: seconds)
        }
    }
}

extension Response {
    /// Marks the answer to a write whose event is at `position`: its `MovieMash-Position` is what a node
    /// must reach to reflect the write (the event's position plus one). The answer is new, so the field is
    /// appended, not searched for.
    mutating func carryPosition(ofWrite position: UInt64) {
        headers.append(HTTPField(name: Consistency.positionHeader, value: String(position + 1)))
    }
}
