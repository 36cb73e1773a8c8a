import Foundation
import Hummingbird
import NIOCore

/// `/ready`'s answer when ready (`ready`, or `degraded` while a component serves stale data): every
/// component and its lag.
private struct ReadyBody: Encodable {
    var status: String
    var components: [Readiness.Component]
}

/// `GET /health` (the process lives), `/ready` (every component is within its bound), `/ready/writer`
/// (this node takes writes now: where a proxy sends them), `/metrics`, and
/// `/openapi.yaml`, the contract the node serves (compiled in from `Schemas/openapi.yaml`).
enum HealthRoutes {
    private static let contract = ByteBuffer(string: embeddedContract[0].text)

    /// The routes, `/metrics` only when `metrics` (the public listener leaves it to an admin listener).
    static func add<Context: RequestContext>(
        to routes: some RouterMethods<Context>, readModel: ReadModel, configuration: GatewayApplication.Configuration, metrics: Bool
    ) {
        routes.get("/health") { _, _ in HealthBody(status: "ok") }
        if metrics {
            routes.get("/metrics") { _, _ in
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: configuration.metrics.exposition())))
            }
        }
        routes.get("/openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: contract))
        }
        routes.get("/ready/writer") { _, _ -> HealthBody in
            if let reason = readModel.notWriting() {
                throw Problem(.serviceUnavailable, type: "not-the-writer", title: "Not the writer", detail: reason)
            }
            return HealthBody(status: "writer")
        }
        routes.get("/ready") { _, _ -> Response in
            let readiness = await readModel.readiness()
            guard readiness.isReady else {
                var problem = Problem(.serviceUnavailable, type: "not-ready", title: "Not ready", detail: readiness.reasons.joined(separator: "; "))
                problem.components = readiness.components
                throw problem
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            let body = try JSONEncoder().encode(ReadyBody(status: readiness.isDegraded ? "degraded" : "ready", components: readiness.components))
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}
