import Foundation
import Hummingbird
import Prometheus

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
    private let samples: @Sendable () -> [Sample]
    static let buckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5].map { .seconds($0) }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), samples: @escaping @Sendable () -> [Sample] = { [] }) {
        self.registry = registry
        self.samples = samples
        votes = registry.makeCounter(descriptor: .init(
            namespace: "moviemash", metricName: "votes_appended", unitName: "total", helpText: "Votes durable in the log and acknowledged"))
    }

    func record(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: .init(namespace: "moviemash", metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route, method and status"),
            labels: [("route", route), ("method", method), ("status", "\(status)")]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: .init(namespace: "moviemash", metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency by route"),
            labels: [("route", route), ("method", method)], buckets: Self.buckets
        ).record(duration)
    }

    /// The exposition text, after sampling the gauges.
    func exposition() -> [UInt8] {
        for sample in samples() {
            registry.makeGauge(
                descriptor: .init(namespace: "moviemash", metricName: sample.name, unitName: "", helpText: sample.help),
                labels: sample.labels
            ).set(sample.value)
        }
        return registry.emitToBuffer()
    }
}

/// Counts and times every request under its route pattern (Hummingbird files unmatched paths under
/// `NotFound`), so a scan of random URLs cannot grow the label set.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = { context.endpointPath ?? "unmatched" }
        do {
            let response = try await next(request, context)
            metrics.record(route: route(), method: request.method.rawValue, status: response.status.code, duration: .now - start)
            return response
        } catch let error as HTTPResponseError {
            metrics.record(route: route(), method: request.method.rawValue, status: error.status.code, duration: .now - start)
            throw error
        }
    }
}
