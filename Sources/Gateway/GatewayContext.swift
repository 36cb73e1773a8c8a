import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core context plus the client's address, which the
/// per-address rate limit keys on.
public struct GatewayContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Per-address token buckets in front of every route: 429 with `Retry-After` when one runs dry.
struct AddressRateLimitMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        if let wait = limiter.take(context.remoteAddress?.rateLimitKey ?? 0) { throw Problem.tooManyRequests(wait, who: "this address") }
        return try await next(request, context)
    }
}

/// `next`'s response, or the response of an error that has one (every problem document): middleware
/// outside the problem middleware adds its headers to errors too.
private func responseOrProblem(
    _ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response
) async throws -> Response {
    do {
        return try await next(request, context)
    } catch let error as HTTPResponseError {
        return try error.response(from: request, context: context)
    }
}

/// CORS for an allowlist of origins (Hummingbird's `CORSMiddleware` allows one origin or all): answers
/// preflights, and marks responses to an allowed origin as readable by it. Other origins get no CORS
/// headers, so browsers keep their pages out.
struct AllowlistCORSMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    let origins: Set<String>

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) else { return try await next(request, context) }
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = origin
        headers[.vary] = "Origin"
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            headers[.accessControlAllowHeaders] = "Authorization, Content-Type, Idempotency-Key"
            headers[.accessControlMaxAge] = "600"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await responseOrProblem(request, context: context, next: next)
        response.headers.append(contentsOf: headers)
        return response
    }
}

/// Headers that keep the page's own origin in charge: no sniffing of content types, no referrer leaks, and
/// a content security policy allowing only this origin's scripts, styles and API (no inline code at all).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = GatewayContext
    // Made once: building a field checks its name and value, and appending skips the search for an
    // earlier field of the same name (no route sets these).
    private static let always = [
        HTTPFields.Element(name: .xContentTypeOptions, value: "nosniff"),
        HTTPFields.Element(name: HTTPFields.Element.Name("Referrer-Policy")!, value: "no-referrer"),
    ]
    private static let page = HTTPFields.Element(
        name: .contentSecurityPolicy,
        value: "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        var response = try await responseOrProblem(request, context: context, next: next)
        response.headers.append(contentsOf: Self.always)
        if response.headers[.contentType]?.hasPrefix("text/html") == true { response.headers.append(Self.page) }
        return response
    }
}
