import EventLog
import Foundation
import Hummingbird

/// The HTTP ceilings the load comparison measures the gateway against: a Hummingbird server, configured as
/// the gateway is (HTTP/1.1, one process), whose routes do nothing but answer. `GET /hello` returns a
/// fixed text; `POST /echo` returns the request body; `POST /durable` returns it too, once it is durable
/// in an event log of its own (fsync `always`, as the gateway's votes): the floor of any durable write.
/// Usage: `HTTPBaseline PORT LOG_DIRECTORY`.
@main
struct HTTPBaseline {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard arguments.count == 2, let port = Int(arguments.first!) else {
            FileHandle.standardError.write(Data("usage: HTTPBaseline PORT LOG_DIRECTORY\n".utf8))
            exit(2)
        }
        let log = try EventLog(directory: arguments.last!)
        let router = Router()
        router.get("/hello") { _, _ in "Hello, world!" }
        router.post("/echo") { request, _ -> Response in
            var request = request
            return echo(try await request.collectBody(upTo: 64 * 1024))
        }
        router.post("/durable") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 64 * 1024)
            _ = try await log.append(LogRecord(id: UUID(), timestamp: 0, payload: Array(buffer: body)))
            return echo(body)
        }
        let application = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "baseline"))
        try await application.runService()
        try await log.close()
    }

    static func echo(_ body: ByteBuffer) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .created, headers: headers, body: .init(byteBuffer: body))
    }
}
