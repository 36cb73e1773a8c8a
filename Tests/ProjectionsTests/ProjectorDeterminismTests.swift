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

func allProjectors() throws -> [any Projector] { try Replay(names: []).projectors }

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
        for (a, b) in zip(first, shorter) where !(a is Catalogue) {
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
    }

    @Test func damagedStateBytesAreRefusedNotMisread() throws {
        var projectors = try allProjectors()
        apply(sampleEvents(votes: 500), to: &projectors)
        for projector in projectors {
            let bytes = projector.stateBytes
            var fresh = Replay.available[type(of: projector).name]!()
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
