import EventLog
import EventStore
import Foundation
import MovieMashCore

/// Deterministic log records of varied sizes for log tests.
public enum RecordBuilder {
    /// `count` records from `seed`: ids random, timestamps rising with jitter, payloads of 0–`maximumPayload`
    /// bytes with enough repetition to compress.
    public static func records(_ count: Int, seed: UInt64 = 1, maximumPayload: Int = 120) -> [LogRecord] {
        var random = SplitMix64(seed: seed)
        var clock: Int64 = 1_793_491_200_000
        return (0..<count).map { index in
            clock += Int64.random(in: -5...400, using: &random)
            let length = Int.random(in: 0...maximumPayload, using: &random)
            let payload = (0..<length).map { offset in
                offset % 7 == 0 ? UInt8.random(in: 0...255, using: &random) : UInt8(truncatingIfNeeded: index + offset / 7)
            }
            return LogRecord(id: random.uuid(), timestamp: clock, payload: payload)
        }
    }
}

/// Polls `condition` every few milliseconds until it holds or `timeout` passes (a deadline, not a sleep
/// standing in for a wait: it returns as soon as the condition holds).
public func eventually(
    timeout: Duration = .seconds(60), _ condition: @Sendable () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}

/// Sample events: the catalogue of `films` films and `sets` sets, then `votes` votes by `voters` voters.
public func sampleLogEvents(seed: UInt64, films: Int, sets: Int, voters: Int, votes: Int) -> (events: [EventEnvelope], sample: SampleEvents) {
    var sample = SampleEvents(seed: seed, films: films, sets: sets, voters: voters)
    let events = sample.catalogueEvents() + (0..<votes).map { _ in sample.nextVote() }
    return (events, sample)
}

/// Writes `events` into a new log at `directory` and closes it, as a service finds it on start.
public func writeClosedLog(_ events: [EventEnvelope], to directory: String) async throws {
    let log = try EventLog(directory: directory)
    _ = try await log.append(contentsOf: events.map(LogRecord.init))
    try await log.close()
}
