import Hummingbird
import NIOCore

/// `GET /health` (the process lives), `/ready` (its projections have caught up) and `/metrics`.
enum HealthRoutes {
    static func collection(readModel: ReadModel, configuration: GatewayApplication.Configuration) -> RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        routes.get("/health") { _, _ in HealthBody(status: "ok") }
        routes.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: configuration.metrics.exposition())))
        }
        routes.get("/ready") { _, _ -> HealthBody in
            guard readModel.caughtUp() else {
                throw Problem(.serviceUnavailable, type: "not-ready", title: "Not ready", detail: "projections are still catching up with the log")
            }
            return HealthBody(status: "ready")
        }
        return routes
    }
}
