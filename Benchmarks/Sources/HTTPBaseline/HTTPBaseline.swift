import Foundation
import Hummingbird

/// The HTTP ceiling the load comparison measures the gateway against: a Hummingbird server, configured as
/// the gateway is (HTTP/1.1, one process), whose routes do nothing but answer. `GET /hello` returns a
/// fixed text; `POST /echo` returns the request body.
@main
struct HTTPBaseline {
    static func main() async throws {
        let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8081
        let router = Router()
        router.get("/hello") { _, _ in "Hello, world!" }
        router.post("/echo") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 64 * 1024)
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .created, headers: headers, body: .init(byteBuffer: body))
        }
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "baseline"))
        try await application.runService()
    }
}
