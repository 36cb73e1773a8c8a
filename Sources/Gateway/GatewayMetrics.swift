import Foundation
import Hummingbird
import Prometheus
import Synchronization

/// The gateway's Prometheus metrics: requests and latency per route, votes appended, and gauges the
/// server samples at each scrape (log position, projector and mirror lag).
public final class GatewayMetrics: Sendable {
    /// A value read at scrape time.
    public struct Sample: Sendable {
        /// A gauge is whatever it is now; a counter only grows from the process' start, and is exposed
        /// with Prometheus' `_total` suffix (so `rate()` and resets work as Prometheus expects).
        public enum Kind: Sendable { case gauge, counter }

        /// The name without the `moviemash_` namespace (and, for a counter, without `_total`).
        public var name: String
        public var help: String
        /// Label values are kept to letters, digits, `-`, `_` and `.` (anything else becomes `-`).
        public var labels: [(String, String)]
        public var value: Double
        public var kind: Kind

        public init(name: String, help: String, labels: [(String, String)] = [], value: Double, kind: Kind = .gauge) {
            self.name = name
            self.help = help
            self.labels = labels.map { ($0.0, Self.labelValue($0.1)) }
            self.value = value
            self.kind = kind
        }

        static func labelValue(_ text: String) -> String {
            String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "-" })
        }
    }

    public let registry: PrometheusCollectorRegistry
    let votes: Counter
    let connections: ConnectionCounts
    private let samples: @Sendable () -> [Sample]
    private struct InstrumentKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }
    private let instruments = Mutex<[InstrumentKey: (requests: Counter, latency: DurationHistogram)]>([:])
    /// The value each sampled counter was last exposed at, so the next scrape adds only what it grew by.
    private let counted = Mutex<[String: Double]>([:])
    static let buckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5].map { .seconds($0) }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), samples: @escaping @Sendable () -> [Sample] = { [] }) {
        self.registry = registry
        self.samples = samples
        votes = registry.makeCounter(descriptor: .init(
            namespace: "moviemash", metricName: "votes_appended", unitName: "total", helpText: "Votes durable in the log and acknowledged"))
        connections = ConnectionCounts(registry: registry)
    }

    func record(route: String, method: String, status: Int, duration: Duration) {
        let key = InstrumentKey(route: route, method: method, status: status)
        let instruments = self.instruments.withLock { $0[key] } ?? makeInstruments(key)
        instruments.requests.increment()
        instruments.latency.record(duration)
    }

    /// The counter and histogram of one route, method and status, kept after the first request: asking
    /// the registry builds the metric's name and compares label lists under its lock on every request.
    private func makeInstruments(_ key: InstrumentKey) -> (requests: Counter, latency: DurationHistogram) {
        let made = (
            requests: registry.makeCounter(
                descriptor: .init(namespace: "moviemash", metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route, method and status"),
                labels: [("route", key.route), ("method", key.method), ("status", "\(key.status)")]),
            latency: registry.makeDurationHistogram(
                descriptor: .init(namespace: "moviemash", metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency by route"),
                labels: [("route", key.route), ("method", key.method)], buckets: Self.buckets))
        instruments.withLock { $0[key] = made }
        return made
    }

    /// The exposition text, after sampling the gauges, the counters, the build and the process.
    func exposition() -> [UInt8] {
        let own = [
            Sample(name: "http_connections_open", help: "HTTP connections open now", value: Double(connections.openConnections)),
            Sample(name: "build_info", help: "Always 1: the release and the commit this binary was built from",
                   labels: [("version", BuildInfo.version), ("commit", BuildInfo.commit)], value: 1),
        ]
        for sample in own + samples() {
            switch sample.kind {
            case .gauge:
                registry.makeGauge(
                    descriptor: .init(namespace: "moviemash", metricName: sample.name, unitName: "", helpText: sample.help),
                    labels: sample.labels
                ).set(sample.value)
            case .counter:
                let counter = registry.makeCounter(
                    descriptor: .init(namespace: "moviemash", metricName: sample.name, unitName: "total", helpText: sample.help),
                    labels: sample.labels)
                advance(counter, key: sample.name + sample.labels.map { "|\($0.0)=\($0.1)" }.joined(), to: sample.value)
            }
        }
        ProcessMetrics.read()?.record(in: registry) { advance($0, key: $1, to: $2) }
        return registry.emitToBuffer()
    }

    /// Brings a counter fed from a sampled total to `value`: Prometheus' counters only grow by increments.
    private func advance(_ counter: Counter, key: String, to value: Double) {
        let grown = counted.withLock { counted in
            defer { counted[key] = max(counted[key] ?? 0, value) }
            return value - (counted[key] ?? 0)
        }
        // Whole counts stay whole in the exposition ("3", not "3.0").
        if grown > 0 { grown == grown.rounded() ? counter.increment(by: Int64(grown)) : counter.increment(by: grown) }
    }
}
