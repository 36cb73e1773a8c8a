import Foundation
import Hummingbird
import Prometheus
import Synchronization

/// The gateway's Prometheus metrics: requests and latency per route, votes appended, and gauges the
/// server samples at each scrape (log position, projector and mirror lag).
public final class GatewayMetrics: Sendable {
    /// A value read at scrape time.
    public struct Sample: Sendable {
        public var name: String
        public var help: String
        public var labels: [(String, String)]
        public var value: Double

        public init(name: String, help: String, labels: [(String, String)] = [], value: Double) {
            self.name = name
            self.help = help
            self.labels = labels
            self.value = value
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

    /// The exposition text, after sampling the gauges.
    func exposition() -> [UInt8] {
        let open = Sample(name: "http_connections_open", help: "HTTP connections open now", value: Double(connections.openConnections))
        for sample in [open] + samples() {
            registry.makeGauge(
                descriptor: .init(namespace: "moviemash", metricName: sample.name, unitName: "", helpText: sample.help),
                labels: sample.labels
            ).set(sample.value)
        }
        return registry.emitToBuffer()
    }
}
