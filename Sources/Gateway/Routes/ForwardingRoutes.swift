import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// Where a replica sends the writes it receives: the writer node's base URL. A replica has no log, so a
/// client pointed at any node still works.
public struct WriteForwarding: Sendable {
    /// The writer's address now (http://host:port), nil while no node takes writes.
    public var writer: @Sendable () async -> String?
    public var timeout: Duration

    /// Forwards to the writer at `writer`, always.
    public init(writer: String, timeout: Duration = .seconds(30)) {
        let address = writer.hasSuffix("/") ? String(writer.dropLast()) : writer
        self.init(timeout: timeout) { address }
    }

    /// Forwards to whichever address `writer` answers at the time of each request.
    public init(timeout: Duration = .seconds(30), writer: @escaping @Sendable () async -> String?) {
        self.writer = writer
        self.timeout = timeout
    }

    /// One client for every forwarded request: connections to the writer are kept and reused.
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
}

/// The write routes of a replica, the routes that read personal data (sign-in and the account's own
/// routes: only the writer holds the keys that open it), and the Letterboxd profile routes (only the writer
/// scrapes): each request goes to the writer unchanged
/// (method, path, query, body and headers, `Authorization` and `Idempotency-Key` included, but no
/// hop-by-hop headers), and the writer's answer comes back unchanged. A writer that cannot be reached is `503 writer-unreachable`, never a
/// guess: the write may or may not have happened, and retrying with the same ticket or key is safe.
enum ForwardingRoutes {
    /// Headers that belong to one connection, not to the request (RFC 9110 §7.6.1).
    private static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length",
    ]

    static func collection(forwarding: WriteForwarding, configuration: GatewayApplication.Configuration) -> RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        let forwarded: [(HTTPRequest.Method, String)] = [
            (.post, "/api/auth/register"), (.post, "/api/votes"), (.post, "/api/auth/login"), (.post, "/api/auth/logout"),
            (.get, "/api/me"), (.delete, "/api/me"), (.get, "/api/me/votes"), (.get, "/api/me/votes/:voteID"), (.get, "/api/me/export"), (.put, "/api/me/password"),
            (.post, "/api/letterboxd-users"), (.get, "/api/letterboxd-users/:username"),
        ]
        for (method, path) in forwarded {
            routes.on(RouterPath(path), method: method) { request, context in
                try await forward(request, context: context, to: forwarding, limit: configuration.maximumBodyBytes)
            }
        }
        return routes
    }

    private static func forward(_ request: Request, context: GatewayContext, to forwarding: WriteForwarding, limit: Int) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: limit)
        guard let writer = await forwarding.writer() else {
            throw Problem(.serviceUnavailable, type: "writer-unreachable", title: "Writer unreachable",
                          detail: "no node holds the writer lease now (a failover is under way): retry in 1 s", retryAfter: 1)
        }
        var outgoing = HTTPClientRequest(url: writer + request.uri.description)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers where !hopByHop.contains(field.name.canonicalName) && field.name != EdgeMiddleware.forwardedFor {
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        // As every proxy does: the client's address appended, so a writer that trusts this replica limits
        // the client, not the replica.
        if let address = context.remoteAddress?.ipAddress {
            let chain = request.headers[EdgeMiddleware.forwardedFor].map { "\($0), " } ?? ""
            outgoing.headers.add(name: "X-Forwarded-For", value: chain + address)
        }
        outgoing.body = .bytes(body)
        let answer: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            answer = try await WriteForwarding.client.execute(
                outgoing, timeout: .milliseconds(Int64(forwarding.timeout / .milliseconds(1))), logger: context.logger)
            bytes = try await answer.body.collect(upTo: 1 << 20)
        } catch {
            context.logger.warning("cannot forward a write to the writer", metadata: ["writer": "\(writer)", "error": "\(error)"])
            throw Problem(.serviceUnavailable, type: "writer-unreachable", title: "Writer unreachable",
                          detail: "this replica could not reach the writer; the write may not have happened: retry in 2 s", retryAfter: 2)
        }
        var headers = HTTPFields()
        for (name, value) in answer.headers where !hopByHop.contains(name.lowercased()) {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(status: HTTPResponse.Status(code: Int(answer.status.code)), headers: headers, body: .init(byteBuffer: bytes))
    }
}
