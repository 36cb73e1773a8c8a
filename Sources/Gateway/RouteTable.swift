import HTTPTypes
import Hummingbird
import Synchronization

/// The routes a router serves, read back from the router once every route is added, so the 405 answers
/// (with `Allow`) and the contract test derive from what is served instead of a second list.
final class RouteTable: Sendable {
    private let routes = Mutex<[(method: HTTPRequest.Method, path: String)]>([])

    /// Takes every route of `router` (paths as OpenAPI writes them: `/api/sets/{id}`).
    func fill<Context>(from router: Router<Context>) {
        let served = router.routes.map { (method: $0.method, path: $0.path.description) }
        routes.withLock { $0 = served }
    }

    var all: [(method: HTTPRequest.Method, path: String)] { routes.withLock { $0 } }

    /// The methods routes matching `path` accept.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return all.filter { route in
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: true)
            return pattern.count == parts.count && zip(pattern, parts).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }.map(\.method)
    }
}
