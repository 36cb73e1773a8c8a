import MovieMashCore

/// Each voter's own votes, oldest first: what `/api/me/votes` pages through and the export holds. An
/// erased voter's list is dropped (their votes stay in the log and in every tally, but nothing here ties
/// them together for anyone to read).
public struct VoterHistory: Projector {
    public struct Vote: Sendable, Equatable {
        public var position: UInt64
        public var voteID: VoteID
        public var setA: SetID
        public var setB: SetID
        public var winner: VoteCast.Side
        public var castAt: Timestamp

        public var chosen: SetID { winner == .setA ? setA : setB }
    }

    public static let name = "voter-history"
    public static let version: UInt32 = 1

    /// Chunked, not arrays: the projection publishes a copy every 25 ms under load, and appending to an array
    /// held by that copy copied the voter's whole history.
    public private(set) var votes: [UserID: ChunkedList<Vote>] = [:]

    public init() {}

    public var configurationBytes: [UInt8] { [] }

    public func votes(of voter: UserID) -> ChunkedList<Vote> { votes[voter] ?? ChunkedList() }

    /// The sets `voter` chose most, most chosen first (ties by the latest choice), with their counts.
    public func mostChosen(by voter: UserID, limit: Int) -> [(set: SetID, times: Int)] {
        var counts: [SetID: (times: Int, last: UInt64)] = [:]
        for vote in votes(of: voter) {
            let earlier = counts[vote.chosen]?.times ?? 0
            counts[vote.chosen] = (earlier + 1, vote.position)
        }
        return counts.sorted { ($0.value.times, $0.value.last) > ($1.value.times, $1.value.last) }
            .prefix(limit).map { ($0.key, $0.value.times) }
    }

    /// What `voter`'s votes say about films, for recommendations: `rejectedOnly` are the films met only in
    /// sets they voted against (never in one they chose); `chooser(of:)` names the newest chosen set
    /// holding a film.
    public func choices(of voter: UserID, catalogue: Catalogue) -> Choices {
        var chosenFilms: [MovieID: SetID] = [:], rejected = Set<MovieID>()
        for vote in votes(of: voter).reversed() {
            for film in catalogue.sets[vote.chosen]?.movieIDs ?? [] where chosenFilms[film] == nil { chosenFilms[film] = vote.chosen }
            let other = vote.winner == .setA ? vote.setB : vote.setA
            rejected.formUnion(catalogue.sets[other]?.movieIDs ?? [])
        }
        return Choices(rejectedOnly: rejected.subtracting(chosenFilms.keys), chosenSets: chosenFilms)
    }

    /// See `choices(of:catalogue:)`.
    public struct Choices: Sendable {
        public var rejectedOnly: Set<MovieID>
        fileprivate var chosenSets: [MovieID: SetID]

        /// The newest set the voter chose that holds `film`.
        public func chooser(of film: MovieID) -> SetID? { chosenSets[film] }
    }

    public mutating func apply(_ event: EventEnvelope) {
        switch event.event {
        case .voteCast(let vote):
            votes[vote.userID, default: ChunkedList()].append(Vote(
                position: event.position ?? 0, voteID: vote.voteID, setA: vote.setA, setB: vote.setB, winner: vote.winner,
                castAt: vote.castAt))
        case .userErased(let erasure):
            votes[erasure.userID] = nil
        case .movieCatalogued, .top4SetScraped, .userRegistered, .passwordChanged, .signedOut, .letterboxdClaimed:
            break
        }
    }

    public func encodeState(into writer: inout SnapshotWriter) {
        writer.write(count: votes.count)
        for voter in votes.keys.sorted(by: { $0.uuidString < $1.uuidString }) {
            let list = votes[voter]!
            writer.write(voter)
            writer.write(count: list.count)
            for vote in list {
                writer.write(vote.position)
                writer.write(vote.voteID)
                writer.write(vote.setA.value)
                writer.write(vote.setB.value)
                writer.write(UInt32(vote.winner == .setA ? 0 : 1))
                writer.write(UInt64(bitPattern: vote.castAt.milliseconds))
            }
        }
    }

    public mutating func decodeState(from reader: inout SnapshotReader) throws(SnapshotError) {
        votes = [:]
        for _ in 0..<(try reader.count(minimumBytes: 24)) {
            let voter = try reader.uuid()
            var list = ChunkedList<Vote>()
            for _ in 0..<(try reader.count(minimumBytes: 68)) {
                let position = try reader.uint64(), voteID = try reader.uuid()
                let a = SetID(value: try reader.uint128()), b = SetID(value: try reader.uint128())
                let side = try reader.uint32()
                guard side <= 1 else { throw SnapshotError("a vote's winner is \(side)") }
                list.append(Vote(
                    position: position, voteID: voteID, setA: a, setB: b, winner: side == 0 ? .setA : .setB,
                    castAt: Timestamp(milliseconds: Int64(bitPattern: try reader.uint64()))))
            }
            votes[voter] = list
        }
    }
}
