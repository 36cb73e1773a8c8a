@testable import EventLog
import EventStore
import Foundation
@testable import Gateway
import MovieMashCore

/// The committed starting corpus: a few well-formed inputs of each target, made by the encoders themselves
/// from sample events, so the fuzzer starts from real batches, events, tickets and bodies.
enum FuzzSeeds {
    static func write(to directory: String) throws {
        var sample = SampleEvents(seed: 21, films: 12, sets: 6, voters: 3)
        let events = sample.catalogueEvents() + (0..<6).map { _ in sample.nextVote() }
        var seeds: [FuzzTarget: [[UInt8]]] = [:]
        let records = events.map(LogRecord.init)
        for (index, slice) in [Array(records.prefix(1)), Array(records.prefix(8)), records].enumerated() {
            let body = RecordBatch.body(of: slice)
            let dictionary = index == 2 ? FuzzTarget.dictionary : []
            seeds[.batch, default: []].append(RecordBatch.encode(slice, firstPosition: UInt64(index * 100), body: body, dictionary: dictionary, compressor: LZ4Compressor()))
        }
        var seenTypes = Set<EventType>()
        for event in events where seenTypes.insert(event.type).inserted {
            seeds[.eventBinary, default: []].append(EventCodec.encode(event.event, occurredAt: event.occurredAt))
            var placed = event
            placed.position = 7
            seeds[.eventJSON, default: []].append(Array(EventCodec.json(placed)))
        }
        let ticket = TicketSigner.Ticket(id: events[0].eventID, voter: events[1].eventID, a: SetID(value: 1), b: SetID(value: 2), expires: 1_900_000_000_000)
        let token = FuzzTarget.signer.sign(ticket)
        seeds[.ticket] = [Array(token.utf8), Array(token.utf8.prefix(40))]
        seeds[.bodies] = [
            Array(#"{"ticket":"\#(token)","winner":"setA"}"#.utf8),
            Array(#"{"username":"ada_lovelace","password":"correct horse battery"}"#.utf8),
        ]
        for (target, inputs) in seeds {
            let folder = directory + "/" + target.rawValue
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (number, input) in inputs.enumerated() {
                try Data(input).write(to: URL(fileURLWithPath: folder + "/seed-\(number)"))
            }
        }
    }
}
