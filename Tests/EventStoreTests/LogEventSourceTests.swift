import EventLog
import EventStore
import MovieMashCore
import Testing
import TestSupport

@Suite struct LogEventSourceTests {
    @Test func eventsComeBackInPositionOrderWithTheirPositionsAndIds() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (events, initial) = sampleLogEvents(seed: 2, films: 20, sets: 10, voters: 4, votes: 100)
        var sample = initial
        let log = try EventLog(directory: directory.file("log"))
        _ = try await log.append(contentsOf: events.map(LogRecord.init))
        let source = LogEventSource(log)
        #expect(source.endPosition() == UInt64(events.count))
        let read = try source.events(from: 5, limit: 10)
        #expect(read.map(\.position) == (5..<15).map { UInt64($0) })
        #expect(read.map(\.eventID) == events[5..<15].map(\.eventID))
        #expect(read.map(\.event) == events[5..<15].map(\.event))
        #expect(try source.events(from: UInt64(events.count) - 3, limit: 10).count == 3)
        #expect(try source.eventID(at: 7) == events[7].eventID)
        #expect(try source.eventID(at: UInt64(events.count)) == nil)
        let waiting = Task { try await source.waitForEvent(at: UInt64(events.count)) }
        _ = try await log.append(LogRecord(sample.nextVote()))
        #expect(try await waiting.value)
        try await log.close()
        #expect(try await source.waitForEvent(at: UInt64(events.count) + 5) == false, "a closed log ends the wait")
    }

    /// Chunk after chunk, as a follower reads (each chunk ending inside a batch), with appends between
    /// chunks and reads at other positions beside it: the same events as one read.
    @Test func chunkAfterChunkReadsWhatOneReadReadsWhileTheLogGrows() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EventLog.Configuration()
        configuration.maximumBatchRecords = 16
        let log = try EventLog(directory: directory.file("log"), configuration: configuration)
        let (events, initial) = sampleLogEvents(seed: 3, films: 20, sets: 10, voters: 4, votes: 400)
        var sample = initial
        _ = try await log.append(contentsOf: events.map(LogRecord.init))
        let source = LogEventSource(log)
        var read: [EventEnvelope] = [], position: UInt64 = 0, appended = events
        for round in 0..<60 {
            let chunk = try source.events(from: position, limit: 13)
            read += chunk
            position += UInt64(chunk.count)
            _ = try source.events(from: UInt64(round * 7 % appended.count), limit: 5)
            if round % 10 == 9 {
                let vote = sample.nextVote()
                _ = try await log.append(LogRecord(vote))
                appended.append(vote)
            }
        }
        read += try source.events(from: position, limit: 10_000)
        #expect(read.map(\.eventID) == appended.map(\.eventID))
        #expect(read.map(\.position) == (0..<UInt64(appended.count)).map { $0 })
        try await log.close()
    }
}
