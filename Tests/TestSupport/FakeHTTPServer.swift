import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small HTTP/1.1 server on loopback for tests: answers each request with what `respond` returns
/// (after an optional delay) and records when each request arrived.
public final class FakeHTTPServer: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        public var delay: Duration

        public init(status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = [], delay: Duration = .zero) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
        }
    }

    /// One request as the server saw it.
    public struct Request: Sendable {
        public var path: String
        public var userAgent: String?
        public var at: ContinuousClock.Instant
    }

    private final class RequestLog: Sendable {
        let entries = Mutex<[Request]>([])
    }

    private let channel: any Channel
    private let log: RequestLog

    public var port: Int { channel.localAddress?.port ?? 0 }
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var requests: [Request] { log.entries.withLock { $0 } }

    /// Starts serving; `respond` gets the path and how many times that path was requested before.
    public init(respond: @escaping @Sendable (_ path: String, _ previous: Int) -> Response) async throws {
        let log = RequestLog()
        self.log = log
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(log: log, respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    public func shutdown() async throws {
        try await channel.close()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let log: RequestLog
        let respond: @Sendable (String, Int) -> Response
        var head: HTTPRequestHead?

        init(log: RequestLog, respond: @escaping @Sendable (String, Int) -> Response) {
            self.log = log
            self.respond = respond
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body: break
            case .end:
                guard let head else { return }
                let previous = log.entries.withLock { log in
                    defer { log.append(Request(path: head.uri, userAgent: head.headers.first(name: "User-Agent"), at: .now)) }
                    return log.filter { $0.path == head.uri }.count
                }
                let response = respond(head.uri, previous)
                let send = {
                    var headers = HTTPHeaders(response.headers)
                    headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.count)")
                    context.write(self.wrapOutboundOut(.head(HTTPResponseHead(
                        version: head.version, status: HTTPResponseStatus(statusCode: response.status), headers: headers))), promise: nil)
                    context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
                    context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
                }
                if response.delay > .zero {
                    let nanoseconds = Int64(response.delay / .nanoseconds(1))
                    context.eventLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { send() }
                } else {
                    send()
                }
            }
        }
    }
}
