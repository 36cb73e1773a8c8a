import EventStore
import MovieMashServer
import EventLog
import Foundation
import MovieMashCore
import Projections
import Testing
import TestSupport

/// Sample events: a catalogue, then `votes` votes, all seeded.
func sampleEvents(votes: Int, seed: UInt64 = 7, sets: Int = 60) -> [EventEnvelope] {
    var sample = SampleEvents(seed: seed, films: 120, sets: sets, voters: 40)
    return sample.catalogueEvents() + (0..<votes).map { _ in sample.nextVote() }
}

func allProjectors() throws -> [any Projector] { try Replay(names: [], from: Projectors.fresh()).projectors }

func apply(_ events: some Sequence<EventEnvelope>, to projectors: inout [any Projector]) {
    for event in events {
        for index in projectors.indices { projectors[index].apply(event) }
    }
}

@Suite struct ProjectorDeterminismTests {
    @Test func theSameEventsGiveTheSameStateBitForBit() throws {
        let events = sampleEvents(votes: 3000)
        var first = try allProjectors(), second = try allProjectors()
        apply(events, to: &first)
        apply(events, to: &second)
        #expect(first.map(\.stateHash) == second.map(\.stateHash))
        var shorter = try allProjectors()
        apply(events.dropLast(), to: &shorter)
        for (a, b) in zip(first, shorter) where !(a is Catalogue) && !(a is Accounts) {
            #expect(a.stateHash != b.stateHash, "\(type(of: a).name) did not change with the last vote")
        }
    }

    @Test(arguments: [0, 1, 150, 1700, 3199])
    func aRestoredStateContinuesExactlyLikeTheOriginal(split: Int) throws {
        let events = sampleEvents(votes: 3000)
        var whole = try allProjectors()
        apply(events, to: &whole)
        var front = try allProjectors()
        apply(events.prefix(split), to: &front)
        var restored = try allProjectors()
        for index in restored.indices { try restored[index].restore(from: front[index].stateBytes) }
        #expect(restored.map(\.stateHash) == front.map(\.stateHash))
        apply(events.dropFirst(split), to: &restored)
        #expect(restored.map(\.stateHash) == whole.map(\.stateHash))
        let counts = { (projectors: [any Projector]) in projectors.compactMap { ($0 as? RecommenderInteractions)?.peoplePerFilm } }
        #expect(counts(restored) == counts(whole) && counts(whole).first?.isEmpty == false, "derived film counts survive a restore")
    }

    @Test func damagedStateBytesAreRefusedNotMisread() throws {
        var projectors = try allProjectors()
        apply(sampleEvents(votes: 500), to: &projectors)
        for projector in projectors {
            let bytes = projector.stateBytes
            var fresh = try Replay(names: [type(of: projector).name], from: Projectors.fresh()).projectors[0]
            #expect(throws: SnapshotError.self) { try fresh.restore(from: Array(bytes.dropLast(3))) }
            #expect(throws: SnapshotError.self) { try fresh.restore(from: bytes + [0]) }
        }
    }

    @Test func talliesCountEachSideOfEachPair() throws {
        let events = sampleEvents(votes: 2000)
        var tallies = Tallies()
        for event in events { tallies.apply(event) }
        var pairs: [PairKey: [SetID: Int]] = [:]
        var wins: [SetID: Int] = [:], losses: [SetID: Int] = [:]
        for case .voteCast(let vote) in events.map(\.event) {
            pairs[PairKey(vote.setA, vote.setB), default: [:]][vote.winningSet, default: 0] += 1
            wins[vote.winningSet, default: 0] += 1
            losses[vote.losingSet, default: 0] += 1
        }
        for (pair, counts) in pairs {
            let votes = tallies.votes(pair.high, pair.low)
            #expect(votes.a == counts[pair.high, default: 0] && votes.b == counts[pair.low, default: 0])
        }
        for set in Set(wins.keys).union(losses.keys) {
            let record = tallies.record(of: set)
            #expect(record.wins == wins[set, default: 0] && record.losses == losses[set, default: 0])
            #expect(record.appearances == record.wins + record.losses)
        }
        #expect(tallies.votes == 2000)
    }
}

@Suite struct PairCountsTests {
    @Test(arguments: [1, 40, 3000])
    func countsEqualAPlainDictionaryThroughGrowthAndSnapshots(items: Int) throws {
        var counts = PairCounts<Int>()
        var model: [PairKey: [Int: Int]] = [:]
        var random = SplitMix64(seed: UInt64(items))
        let ids = (0...items).map { SetID(value: UInt128($0)) }
        var sets = PairCounts<SetID>()
        for _ in 0..<20_000 {
            let a = Int.random(in: 0...items, using: &random)
            var b = Int.random(in: 0..<items, using: &random)
            if b >= a { b += 1 }
            sets.record(winner: sets.intern(ids[a]), loser: sets.intern(ids[b]))
            counts.record(winner: counts.intern(a), loser: counts.intern(b))
            model[PairKey(ids[a], ids[b]), default: [:]][a, default: 0] += 1
        }
        #expect(sets.pairCount == model.count && counts.pairCount == model.count)
        for (pair, wins) in model {
            let a = Int(pair.low.value), b = Int(pair.high.value)
            #expect(counts.wins(a, b) == (wins[a, default: 0], wins[b, default: 0]))
            #expect(sets.wins(pair.low, pair.high) == (wins[a, default: 0], wins[b, default: 0]))
        }
        var tallies = Tallies()
        for (index, pair) in model.keys.sorted(by: { ($0.low, $0.high) < ($1.low, $1.high) }).enumerated() {
            let vote = try VoteCast(
                voteID: UUID(), userID: UUID(), setA: pair.low, setB: pair.high, winner: index % 3 == 0 ? .setA : .setB,
                ticketID: UUID(), castAt: Timestamp(milliseconds: 0))
            tallies.apply(EventEnvelope(occurredAt: Timestamp(milliseconds: 0), event: .voteCast(vote)))
        }
        var restored = Tallies()
        try restored.restore(from: tallies.stateBytes)
        #expect(restored.stateHash == tallies.stateHash)
        for pair in model.keys { #expect(restored.votes(pair.low, pair.high) == tallies.votes(pair.low, pair.high)) }
    }
}
