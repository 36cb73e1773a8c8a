import MovieMashCore
import HTTPTypes
import Hummingbird
import Logging
import Foundation
import NIOCore
import NIOHTTP1

/// Everything the gateway does around its routes, in one middleware: request metrics, CORS for an
/// allowlist of origins, security headers, the per-address rate limit, every error as a problem document,
/// and the web page's files for paths no route takes.
///
/// One middleware rather than six: each middleware level is an async call that copies the request and
/// the context (one instead of six took `/health` from 42.5 to 39.5 µs of server CPU).
struct EdgeMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    /// The routes served, for the 405 answers.
    let routes: RouteTable
    let metrics: GatewayMetrics
    /// Web origins whose pages may call the API; other origins get no CORS headers, so browsers keep their
    /// pages out. (Hummingbird's `CORSMiddleware` allows one origin or all.)
    let origins: Set<String>
    let limiter: RateLimiter
    /// Addresses of proxies (HAProxy, replicas forwarding writes) whose `X-Forwarded-For` names the client.
    let trustedProxies: Set<String>
    let consistency: Consistency
    let files: FileMiddleware<GatewayContext, LocalFileSystem>

    private static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    // Made once: building a field checks its name and value, and appending skips the search for an
    // earlier field of the same name (no route sets these).
    private static let always = [
        HTTPFields.Element(name: .xContentTypeOptions, value: "nosniff"),
        HTTPFields.Element(name: HTTPFields.Element.Name("Referrer-Policy")!, value: "no-referrer"),
    ]
    /// The only host whose images the page may show: Letterboxd's poster server. The API names a poster
    /// only there (`FilmBody`), so the page never asks the browser for an image the policy refuses.
    static let posterOrigin = "https://a.ltrbxd.com"
    /// Only this origin's scripts, styles and API, posters from `posterOrigin`, and no inline code at all.
    private static let page = HTTPFields.Element(
        name: .contentSecurityPolicy,
        value: "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' \(posterOrigin); form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        context.client = clientKey(request, context: context)
        let origin = request.headers.value(.origin).flatMap { origins.contains($0) ? $0 : nil }
        var response: Response
        if origin != nil, request.method == .options, request.headers.has(.accessControlRequestMethod) {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = "GET, POST, PUT, DELETE, OPTIONS"
            response.headers[.accessControlAllowHeaders] = "Authorization, Content-Type, Idempotency-Key, MovieMash-Min-Position"
            response.headers[.accessControlMaxAge] = "600"
        } else {
            var reflected = consistency.position()
            do {
                if let wait = limiter.take(context.client) { throw Problem.tooManyRequests(wait, who: "this address") }
                if let target = try Consistency.minimum(of: request), target > reflected {
                    try await consistency.require(target)
                    reflected = consistency.position()
                }
                response = try await routeOrFile(request, context: context, next: next)
            } catch {
                response = try problem(for: error, request: request, context: context).response(from: request, context: context)
            }
            if !response.headers.has(Consistency.positionHeader) { response.headers.append(.init(name: Consistency.positionHeader, value: String(reflected))) }
            response.headers.append(contentsOf: Self.always)
            if response.headers.value(.contentType)?.hasPrefix("text/html") == true { response.headers.append(Self.page) }
            // Tokens and whatever a token opens are one person's: no cache, shared or private, keeps them.
            if request.headers.has(.authorization) || request.uri.path.hasPrefix("/api/auth/") || request.uri.path.hasPrefix("/api/me") {
                response.headers[.cacheControl] = "no-store"
            }
        }
        if let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = "MovieMash-Position, Retry-After"
        }
        // Whether CORS headers are sent depends on the Origin: a cache must not give one origin's answer to another.
        if !origins.isEmpty { response.headers[.vary] = "Origin" }
        let method = Self.methods.contains(request.method.rawValue) ? request.method.rawValue : "other"
        // Hummingbird files unmatched paths under no endpoint: a scan of random URLs cannot grow the labels.
        metrics.record(route: context.endpointPath ?? "unmatched", method: method, status: response.status.code, duration: .now - start)
        return response
    }

    /// The rate limiter's key of the client: the connection's address, or behind trusted proxies the
    /// right-most address of `X-Forwarded-For` that is not one of them (each proxy appends its peer).
    private func clientKey(_ request: Request, context: GatewayContext) -> UInt128 {
        guard let peer = context.remoteAddress else { return 0 }
        guard !trustedProxies.isEmpty, let ip = peer.ipAddress, trustedProxies.contains(ip),
              let chain = request.headers.value(Self.forwardedFor) else { return peer.rateLimitKey }
        let hops = chain.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let client = hops.last { !trustedProxies.contains($0) } ?? hops.first
        return client.flatMap { try? SocketAddress(ipAddress: $0, port: 0) }?.rateLimitKey ?? peer.rateLimitKey
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// The route's response, or for a path no route takes, the web folder's file. A path with a NUL or a
    /// trailing slash names no file (the file server would answer it with another file's type, or none).
    private func routeOrFile(
        _ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            if path.contains("\0") || path.range(of: "%00") != nil || (path.count > 1 && path.hasSuffix("/")) { throw error }
            return try await files.handle(request, context: context) { _, _ in throw error }
        }
    }

    /// What the parser found wrong, in words a client's author understands. llhttp reports an unknown or
    /// doubled `Transfer-Encoding` as `unknown`.
    static func plainWords(_ error: HTTPParserError) -> String {
        switch error {
        case .unknown: "an unsupported Transfer-Encoding or framing the parser does not accept"
        case .invalidChunkSize: "an invalid chunk size"
        case .invalidContentLength, .unexpectedContentLength: "an invalid or unexpected Content-Length"
        case .invalidHeaderToken, .invalidCharactersUsed: "a character not allowed in a header"
        case .invalidMethod: "an unknown method"
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment, .invalidHost, .invalidPort: "an invalid request target"
        case .invalidVersion: "an unsupported HTTP version"
        case .headerOverflow: "a header section over the limit"
        default: "\(error)"
        }
    }

    /// The problem document for any error: ours as they are, Hummingbird's by status, anything else as a
    /// 500 whose detail names no internals.
    func problem(for error: any Error, request: Request, context: GatewayContext) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let unavailable as StorageUnavailable:
            // The node logs the writer's failure once per change of state; a line per refused request would
            // flood the log exactly when it matters.
            return Problem.storageUnavailable(unavailable)
        case let pending as ReplicationPending:
            return Problem.replicationPending(pending)
        case let parserError as HTTPParserError:
            // The client's framing, not the server: answered and logged as a client mistake.
            context.logger.debug("unreadable request body", metadata: ["error": "\(parserError)", "path": "\(request.uri.path)"])
            return Problem(.badRequest, type: "malformed-request", title: "Malformed request",
                           detail: "the request body could not be read as HTTP/1.1 (\(Self.plainWords(parserError)))")
        case is NIOTooManyBytesError:
            return Problem(.contentTooLarge, type: "body-too-large", title: "Body too large", detail: "the request body is larger than this route accepts")
        case let error as HTTPError:
            switch error.status {
            case .notFound:
                let allowed = routes.methods(for: request.uri.path)
                if !allowed.isEmpty, !allowed.contains(request.method) {
                    let methods = allowed.map(\.rawValue).joined(separator: ", ")
                    var problem = Problem(.methodNotAllowed, type: "method-not-allowed", title: "Method not allowed",
                                          detail: "\(request.uri.path) accepts \(methods)")
                    problem.allow = methods
                    return problem
                }
                return Problem(.notFound, type: "not-found", title: "Not found", detail: "no route \(request.method) \(request.uri.path)")
            case .contentTooLarge:
                return Problem(.contentTooLarge, type: "body-too-large", title: "Body too large", detail: error.body ?? "the request body is too large")
            case .badRequest:
                return Problem(.badRequest, type: "bad-request", title: "Bad request", detail: error.body ?? "the request could not be read")
            default:
                return Problem(error.status, type: "http-\(error.status.code)", title: error.status.reasonPhrase, detail: error.body ?? error.status.reasonPhrase)
            }
        default:
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return Problem(.internalServerError, type: "internal", title: "Internal error", detail: "the request failed; it has been logged")
        }
    }
}
