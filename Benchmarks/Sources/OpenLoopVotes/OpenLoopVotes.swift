import ArgumentParser
import AsyncHTTPClient
import Foundation
import Histogram
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Votes at a fixed rate whatever the answers do (an open loop): vote i is due at start + i / rate and its
/// latency counts from then, so a stalled server shows as latency instead of as votes never sent
/// (coordinated omission). Meanwhile it follows, as fast as each answers, the primary's and the standby's
/// mirror checkpoint and a replica's `MovieMash-Position`, and gives each acknowledged vote the first instant
/// each of them covered it: the hops writer → primary commit → standby replay → replica apply, measured apart.
///
/// Tickets come from `Benchmarks/load/voter.lua`'s `tickets` mode (`DIR/tickets-N` for voter `load_N`).
@main
struct OpenLoopVotes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Votes at a fixed rate; latency from each vote's intended send time, and its visibility hop by hop.")

    @Option(help: "Where votes go (HAProxy or a writer), e.g. http://127.0.0.1:8080.") var gateway: String
    @Option(help: "The replica whose MovieMash-Position is followed.") var replica: String
    @Option(help: "The PostgreSQL primary (its mirror_checkpoint is followed).") var primary: String
    @Option(help: "The PostgreSQL standby the replica reads.") var standby: String
    @Option(help: "The folder of tickets-N files.") var tickets: String
    @Option(help: "Votes per second.") var rate: Double
    @Option(help: "Seconds of votes.") var seconds: Double
    @Option(help: "Each voter's tickets before this one are skipped (used by an earlier run).") var skip = 0
    @Option(help: "Milliseconds between two polls of each follower: each poll is load on the system measured, and the interval bounds each hop's error.")
    var pollMilliseconds = 2.0
    @Option(help: "Connections to the gateway at most (votes beyond them wait, and the wait counts).")
    var connections = 512

    func run() async throws {
        let voters = try loadTickets()
        let total = Int(rate * seconds)
        let perVoter = (total + voters.count - 1) / voters.count
        if let short = voters.first(where: { $0.tickets.count < skip + perVoter }) {
            throw ValidationError("\(total) votes need \(skip + perVoter) tickets per voter; \(short.name) has \(short.tickets.count)")
        }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let tokens = try await voters.asyncMap { try await login($0.name, client: client) }
            let report = try await measure(voters: voters, tokens: tokens, total: total, client: client)
            print(report)
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private struct Voter {
        var name: String
        var tickets: [String]
    }

    private func loadTickets() throws -> [Voter] {
        var voters: [Voter] = []
        for index in 1... {
            let path = "\(tickets)/tickets-\(index)"
            guard FileManager.default.fileExists(atPath: path) else { break }
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
            voters.append(Voter(name: "load_\(index)", tickets: lines))
        }
        guard !voters.isEmpty else { throw ValidationError("no tickets-1 in \(tickets)") }
        return voters
    }

    private func login(_ name: String, client: HTTPClient) async throws -> String {
        var request = HTTPClientRequest(url: "\(gateway)/api/auth/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"username":"\#(name)","password":"load test password"}"#))
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 16)
        struct Token: Decodable { var token: String }
        guard response.status == .ok, let token = try? JSONDecoder().decode(Token.self, from: body) else {
            throw ValidationError("logging in \(name) answered \(response.status): \(String(buffer: body))")
        }
        return token.token
    }

    /// One vote's fate: when it was due, when it was answered, and the position it was acknowledged at.
    private struct Sent: Sendable {
        var due: ContinuousClock.Instant
        var answered: ContinuousClock.Instant
        var status: UInt
        var position: UInt64?
        /// Why no answer came (status 0).
        var failure: String?
    }

    private func measure(voters: [Voter], tokens: [String], total: Int, client: HTTPClient) async throws -> String {
        let logger = Logger(label: "open-loop")
        let stop = Stop()
        let every = Duration.milliseconds(pollMilliseconds)
        let followers = [
            Follower(name: "primary commit") { try await Self.checkpoints(url: primary, every: every, stop: stop, logger: logger) },
            Follower(name: "standby replay") { try await Self.checkpoints(url: standby, every: every, stop: stop, logger: logger) },
            Follower(name: "replica apply") { [replica] in try await Self.positions(url: replica, every: every, client: client, stop: stop) },
        ]
        let following = followers.map { follower in Task { try await follower.follow() } }
        let interval = Duration.seconds(1 / rate)
        let clock = ContinuousClock()
        let start = clock.now.advanced(by: .milliseconds(100))
        let sent = await withTaskGroup(of: Sent.self) { group in
            for index in 0..<total {
                let due = start.advanced(by: interval * index)
                if due > clock.now { try? await clock.sleep(until: due) }
                let voter = index % voters.count
                let ticket = voters[voter].tickets[skip + index / voters.count]
                group.addTask { await vote(ticket: ticket, token: tokens[voter], due: due, client: client) }
            }
            var all: [Sent] = []
            for await one in group { all.append(one) }
            return all
        }
        // The last votes' visibility: follow up to two seconds more, then stop.
        let lastDue = start.advanced(by: interval * total)
        try? await clock.sleep(until: max(clock.now, lastDue).advanced(by: .seconds(2)))
        stop.set()
        var samples: [[(at: ContinuousClock.Instant, end: UInt64)]] = []
        for task in following { samples.append(try await task.value) }
        return Self.report(sent: sent, followers: zip(followers.map(\.name), samples).map { ($0, $1) }, rate: rate, seconds: seconds)
    }

    private func vote(ticket: String, token: String, due: ContinuousClock.Instant, client: HTTPClient) async -> Sent {
        var request = HTTPClientRequest(url: "\(gateway)/api/votes")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"ticket":"\#(ticket)","winner":"setA"}"#))
        struct Answer: Decodable { var position: UInt64 }
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 16)
            let answered = ContinuousClock.now
            let position = response.status == .created ? (try? JSONDecoder().decode(Answer.self, from: body))?.position : nil
            return Sent(due: due, answered: answered, status: response.status.code, position: position, failure: nil)
        } catch {
            return Sent(due: due, answered: .now, status: 0, position: nil, failure: "\(error)")
        }
    }

    /// A source of (instant, end) samples: every position below `end` was there by `at`.
    private struct Follower: Sendable {
        var name: String
        var follow: @Sendable () async throws -> [(at: ContinuousClock.Instant, end: UInt64)]
    }

    private final class Stop: Sendable {
        private let flag = Mutex(false)
        var isSet: Bool { flag.withLock { $0 } }
        func set() { flag.withLock { $0 = true } }
    }

    /// The samples `sample` gives on a fixed schedule, one every `every`, until `stop` (nil: no sample).
    private static func poll(
        every: Duration, stop: Stop, _ sample: () async throws -> UInt64?
    ) async throws -> [(at: ContinuousClock.Instant, end: UInt64)] {
        var samples: [(at: ContinuousClock.Instant, end: UInt64)] = []
        var next = ContinuousClock.now
        while !stop.isSet {
            if let end = try await sample() { samples.append((.now, end)) }
            next = next.advanced(by: every)
            try await Task.sleep(until: max(next, .now))
        }
        return samples
    }

    private static func checkpoints(url: String, every: Duration, stop: Stop, logger: Logger) async throws -> [(at: ContinuousClock.Instant, end: UInt64)] {
        guard let parts = URLComponents(string: url), let host = parts.host else { throw ValidationError("not a URL: \(url)") }
        let configuration = PostgresConnection.Configuration(
            host: host, port: parts.port ?? 5432, username: parts.user ?? "postgres", password: parts.password,
            database: String(parts.path.dropFirst()), tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let samples = try await poll(every: every, stop: stop) {
                let rows = try await connection.query("SELECT next_position FROM mirror_checkpoint", logger: logger)
                var end: UInt64?
                for try await value in rows.decode(Int64.self) { end = UInt64(value) }
                return end
            }
            try await connection.close()
            return samples
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A poll that fails (the replica overloaded past the timeout) leaves a gap in the samples, not the run.
    private static func positions(url: String, every: Duration, client: HTTPClient, stop: Stop) async throws -> [(at: ContinuousClock.Instant, end: UInt64)] {
        try await poll(every: every, stop: stop) {
            guard let response = try? await client.execute(HTTPClientRequest(url: "\(url)/health"), timeout: .seconds(10)),
                  (try? await response.body.collect(upTo: 1 << 20)) != nil else { return nil }
            return response.headers.first(name: "MovieMash-Position").flatMap(UInt64.init)
        }
    }

    private static func report(
        sent: [Sent], followers: [(String, [(at: ContinuousClock.Instant, end: UInt64)])], rate: Double, seconds: Double
    ) -> String {
        func histogram() -> Histogram<UInt64> { Histogram(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three) }
        func micros(_ duration: Duration) -> UInt64 {
            let (s, atto) = duration.components
            return UInt64(max(0, s * 1_000_000 + atto / 1_000_000_000_000))
        }
        let acknowledged = sent.filter { $0.position != nil }
        var answered = histogram()
        for vote in acknowledged { _ = answered.record(micros(vote.due.duration(to: vote.answered))) }
        // For each follower, the instant it first covered each acknowledged vote (nil: not within the run).
        let covered: [[ContinuousClock.Instant?]] = followers.map { _, samples in
            acknowledged.map { vote in
                var low = 0, high = samples.count
                while low < high {
                    let middle = (low + high) / 2
                    if samples[middle].end > vote.position! { high = middle } else { low = middle + 1 }
                }
                return low < samples.count ? samples[low].at : nil
            }
        }
        // Each stage from the vote's due time; each hop from the stage before it (the first stage is its
        // own first hop).
        var stages: [(String, Histogram<UInt64>)] = [("acknowledged", answered)]
        var hops: [(String, Histogram<UInt64>)] = []
        for (follower, (name, _)) in followers.enumerated() {
            var stage = histogram(), hop = histogram()
            for (index, vote) in acknowledged.enumerated() {
                guard let at = covered[follower][index] else { continue }
                _ = stage.record(micros(vote.due.duration(to: at)))
                if follower > 0 { _ = hop.record(micros((covered[follower - 1][index] ?? vote.due).duration(to: at))) }
            }
            stages.append(("\(name) (from due)", stage))
            if follower > 0 { hops.append(("\(followers[follower - 1].0) → \(name)", hop)) }
        }
        let failures = Dictionary(grouping: sent.filter { $0.position == nil }, by: { $0.failure ?? "HTTP \($0.status)" }).mapValues(\.count)
        let intervals = followers.map { name, samples in
            let span = samples.count > 1 ? samples.first!.at.duration(to: samples.last!.at) / (samples.count - 1) : .zero
            return "\(name) every \(String(format: "%.2f", Double(micros(span)) / 1000)) ms"
        }
        var lines = [
            "open loop \(Int(rate)) votes/s for \(Int(seconds)) s: sent \(sent.count), acknowledged \(acknowledged.count), "
                + "failed \(sent.count - acknowledged.count)"
                + (failures.isEmpty ? "" : " (" + failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"),
            "  followed: " + intervals.joined(separator: ", "),
            "  ms                                      p50      p90      p99    p99.9      max    count",
        ]
        for (name, values) in stages + hops {
            func ms(_ percentile: Double) -> String { String(format: "%8.1f", Double(values.valueAtPercentile(percentile)) / 1000) }
            lines.append("  " + name.padding(toLength: 36, withPad: " ", startingAt: 0)
                + " \(ms(50)) \(ms(90)) \(ms(99)) \(ms(99.9)) \(String(format: "%8.1f", Double(values.max) / 1000)) \(String(format: "%8d", values.totalCount))")
        }
        return lines.joined(separator: "\n")
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
