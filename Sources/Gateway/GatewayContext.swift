import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core context plus the client's address, which the
/// per-address rate limit keys on.
public struct GatewayContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The client as the per-address limits know it (behind trusted proxies, the forwarded address); set
    /// by the edge before any route runs.
    public internal(set) var client: UInt128 = 0

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
