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
