import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import MovieMashCore
import Projections
import ServiceLifecycle

/// The HTTP gateway: routes over the read model, every error as a problem document.
public enum GatewayApplication {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// Request bodies larger than this are refused with 413.
        public var maximumBodyBytes = 64 * 1024
        /// Requests per client address (all routes).
        public var perAddress = RateLimiter.Limit(perSecond: 200, burst: 400)
        /// Comparisons and votes per logged-in voter.
        public var perVoter = RateLimiter.Limit(perSecond: 5, burst: 20)
        /// Account changes and exports per voter (each change checks a password with bcrypt).
        public var perAccount = RateLimiter.Limit(perSecond: 0.2, burst: 5)
        /// Password checks (bcrypt) one client address may hold at once, running or waiting.
        public var passwordChecksPerAddress = 1
        /// Web origins whose pages may call the API (CORS); none by default.
        public var allowedOrigins: Set<String> = []
        /// Where request metrics go and `/metrics` reads from.
        public var metrics = GatewayMetrics()
        /// Proxies whose `X-Forwarded-For` names the client for the per-address limit (HAProxy, replicas).
        public var trustedProxies: Set<String> = []
        /// Timeouts and the connection limit that keep slow clients from holding connections.
        public var connections = ConnectionLimits()
        /// PEM files of the certificate chain and private key: serve HTTPS instead of HTTP.
        public var tls: (certificateChain: String, privateKey: String)?
        /// A second, plain-HTTP listener for operators (`/metrics`, `/health`, `/ready`); with it, the
        /// public listener no longer answers `/metrics`.
        public var admin: (host: String, port: Int)?

        public init() {}
    }

    /// The router with every route the node can serve: the reads always, sign-in and recommendations
    /// with `authentication` (or the write side's), registration, voting and the account routes with
    /// `writes`, or forwarded to the writer with `forwarding` (a replica, which holds no keys to read
    /// personal data with, so sign-in goes to the writer too). `Application(router:)` serves it.
    public static func router(
        readModel: ReadModel, authentication: Authentication? = nil, writes: WriteSide? = nil, forwarding: WriteForwarding? = nil,
        configuration: Configuration = Configuration()
    ) -> Router<GatewayContext> {
        let router = Router(context: GatewayContext.self)
        let table = RouteTable()
        router.middlewares.add(EdgeMiddleware(
            routes: table,
            metrics: configuration.metrics, origins: configuration.allowedOrigins, limiter: RateLimiter(configuration.perAddress),
            trustedProxies: configuration.trustedProxies, consistency: readModel.consistency,
            // The web page: files of the module's `Web` folder for paths no route takes (`/` is index.html).
            files: FileMiddleware(
                webFolder, cacheControl: .init([(MediaType(type: .any), [.noCache])]), searchForIndexHtml: true,
                logger: Logger(label: "moviemash.web"))))
        let health = RouteCollection(context: GatewayContext.self)
        HealthRoutes.add(to: health, readModel: readModel, configuration: configuration, metrics: configuration.admin == nil)
        router.addRoutes(health)
        let authentication = authentication ?? writes?.authentication
        // One pair selector for the example pair and the voters' pairs.
        let selectors = SelectorCache()
        router.addRoutes(ReadRoutes.collection(readModel: readModel, authentication: authentication, selectors: selectors), atPath: "/api")
        if let authentication, writes != nil || forwarding == nil {
            router.addRoutes(
                AuthRoutes.collection(readModel: readModel, authentication: authentication, writes: writes, configuration: configuration),
                atPath: "/api/auth")
        }
        if let writes {
            // One bucket per voter for every account change, claims of a Letterboxd profile included.
            let perAccount = RateLimiter(configuration.perAccount)
            router.addRoutes(
                AccountRoutes.collection(readModel: readModel, writes: writes, perAccount: perAccount, configuration: configuration), atPath: "/api")
            router.addRoutes(
                LetterboxdRoutes.collection(readModel: readModel, writes: writes, perAccount: perAccount, configuration: configuration),
                atPath: "/api")
        }
        if let authentication {
            router.addRoutes(
                VotingRoutes.collection(
                    readModel: readModel, authentication: authentication, writes: writes, selectors: selectors, configuration: configuration),
                atPath: "/api")
        }
        if writes == nil, let forwarding {
            router.addRoutes(ForwardingRoutes.collection(forwarding: forwarding, configuration: configuration))
        }
        table.fill(from: router)
        return router
    }

    /// Where the web page's files are (shipped as the module's resources).
    static var webFolder: String { Bundle.module.resourceURL!.appendingPathComponent("Web").path }

    /// The application serving `router` on the configured address, over TLS when configured. It runs
    /// `services` first, in order, and shuts them down in reverse after the server; `onListening` gets the
    /// port once the server accepts connections.
    public static func application(
        readModel: ReadModel, authentication: Authentication? = nil, writes: WriteSide? = nil, forwarding: WriteForwarding? = nil,
        configuration: Configuration = Configuration(), services: [any Service] = [], logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws(ConfigurationError) -> some ApplicationProtocol {
        let (limits, counts) = (configuration.connections, configuration.metrics.connections)
        let http1 = HTTPServerBuilder.http1(configuration: .init(additionalChannelHandlers: [ConnectionGuard(limits: limits, counts: counts)]))
        var server = http1
        if let tls = configuration.tls {
            let tlsConfiguration: TLSConfiguration
            do {
                tlsConfiguration = TLSConfiguration.makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificateChain).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)))
            } catch {
                throw ConfigurationError(
                    "cannot use \(tls.certificateChain) and \(tls.privateKey) as PEM certificate chain and key: \(error)",
                    setting: "tlsCertificate")
            }
            do {
                server = try .tls(http1, tlsConfiguration: tlsConfiguration)
            } catch {
                throw ConfigurationError("cannot serve TLS with \(tls.certificateChain): \(error)", setting: "tlsCertificate")
            }
        }
        var services = services
        if let admin = configuration.admin {
            let routes = Router(context: BasicRequestContext.self)
            HealthRoutes.add(to: routes, readModel: readModel, configuration: configuration, metrics: true)
            services.append(Application(
                router: routes, configuration: .init(address: .hostname(admin.host, port: admin.port), serverName: "MovieMash-admin"),
                logger: logger))
        }
        return Application(
            router: router(readModel: readModel, authentication: authentication, writes: writes, forwarding: forwarding, configuration: configuration),
            server: server,
            // A listen queue as long as the connections allowed (the kernel caps it at somaxconn): a burst of
            // connections that arrives while the node is busy waits to be accepted instead of being dropped.
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "MovieMash",
                backlog: max(256, configuration.connections.maximumConnections)),
            services: services,
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}
