import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Prometheus
import Synchronization

/// Limits that keep slow and abusive clients from holding the gateway's connections.
public struct ConnectionLimits: Sendable {
    /// A new connection must deliver a complete request head within this time, or it gets `408` and is
    /// closed: a client that sends half a header and then nothing holds nothing for long.
    public var requestHeadTimeout: Duration = .seconds(10)
    /// Between requests on a kept-alive connection, and while a request body arrives, the client may be
    /// silent this long before the connection is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// Connections open at once; beyond this, a new connection is answered `503` at once and closed
    /// (rather than left waiting unanswered in the kernel's accept queue).
    public var maximumConnections = 4096

    public init() {}
}

/// Counts the gateway's open connections and those it refused or closed, for `/metrics`.
final class ConnectionCounts: Sendable {
    /// Why a connection was refused or closed by the gateway.
    enum Reason: String, CaseIterable, Sendable {
        case connectionLimit = "connection-limit"
        case requestHeadTimeout = "request-head-timeout"
        case bodyTimeout = "body-timeout"
        case idleTimeout = "idle-timeout"
    }

    private let open = Atomic<Int>(0)
    private let closed = Mutex<[Reason: Int]>([:])
    private let counters: [Reason: Counter]

    init(registry: PrometheusCollectorRegistry) {
        counters = Dictionary(uniqueKeysWithValues: Reason.allCases.map { reason in
            (reason, registry.makeCounter(
                descriptor: .init(namespace: "moviemash", metricName: "http_connections_closed", unitName: "total",
                                  helpText: "Connections the gateway refused or closed, by reason"),
                labels: [("reason", reason.rawValue)]))
        })
    }

    var openConnections: Int { open.load(ordering: .relaxed) }

    /// Counts a new connection; returns how many are open with it.
    func opened() -> Int { open.add(1, ordering: .relaxed).newValue }

    func finished() { open.subtract(1, ordering: .relaxed) }

    func record(_ reason: Reason) {
        closed.withLock { $0[reason, default: 0] += 1 }
        counters[reason]?.increment()
    }

    func count(_ reason: Reason) -> Int { closed.withLock { $0[reason] ?? 0 } }
}

/// What a connection waits for from its client and until when, decided apart from the event loop's timer.
///
/// Every request arms a deadline (its body's) and the end of its response arms another (the idle one):
/// scheduling and cancelling a timer for each cost more than the rest of the guard. So one timer stays
/// scheduled while deadlines move later; when it fires before the current deadline it is set again for
/// it, and when nothing is armed it just stops.
struct ConnectionDeadline<Instant: Comparable> {
    /// What the connection's timer should do now.
    enum Action: Equatable {
        /// Nothing: the timer already scheduled fires no later than the deadline.
        case none
        /// Schedule the timer for this instant, replacing any scheduled one.
        case schedule(at: Instant)
        /// The client missed the deadline armed for this reason.
        case timedOut(ConnectionCounts.Reason)
    }

    /// The deadline in force and what missing it means; nil while the client owes nothing.
    private(set) var deadline: (at: Instant, reason: ConnectionCounts.Reason)?
    /// When the scheduled timer fires; nil when none is scheduled.
    private(set) var timerAt: Instant?

    /// The client must deliver by `instant`, or the connection ends for `reason`.
    mutating func arm(until instant: Instant, reason: ConnectionCounts.Reason) -> Action {
        deadline = (instant, reason)
        if let timerAt, timerAt <= instant { return .none }
        timerAt = instant
        return .schedule(at: instant)
    }

    /// The client owes nothing (the gateway is answering): a scheduled timer may fire, and finds nothing due.
    mutating func disarm() {
        deadline = nil
    }

    /// The timer fired at `now`.
    mutating func fired(now: Instant) -> Action {
        timerAt = nil
        guard let deadline else { return .none }
        if deadline.at <= now {
            self.deadline = nil
            return .timedOut(deadline.reason)
        }
        timerAt = deadline.at
        return .schedule(at: deadline.at)
    }
}

/// One connection's guard, after the HTTP codec: it sees whole request heads, bodies' ends and response
/// ends, and keeps one timer for what the connection waits for from the client (`ConnectionDeadline`).
/// Hummingbird's own idle timeout does part of this, but answers nothing, counts nothing and cannot tell a
/// first request head from a kept-alive connection; its connection limit stops accepting, so clients
/// beyond it hang unanswered.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Phase {
        /// No request yet: the head must come within `requestHeadTimeout`.
        case awaitingFirstHead
        /// A request head came; its body is arriving.
        case readingBody
        /// The request was read; the gateway is answering, the client owes nothing.
        case responding
        /// The last response ended; the next head may come within `idleTimeout`.
        case keptAlive
    }

    private let limits: ConnectionLimits
    private let counts: ConnectionCounts
    private var phase = Phase.awaitingFirstHead
    private var deadline = ConnectionDeadline<NIODeadline>()
    private var timer: Scheduled<Void>?
    private var counted = false

    init(limits: ConnectionLimits, counts: ConnectionCounts) {
        self.limits = limits
        self.counts = counts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { opened(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        opened(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            phase = .readingBody
            arm(context, after: limits.idleTimeout, reason: .bodyTimeout)
        case .body:
            if phase == .readingBody { arm(context, after: limits.idleTimeout, reason: .bodyTimeout) }
        case .end:
            phase = .responding
            deadline.disarm()
        }
        context.fireChannelRead(data)
    }

    /// A request head the parser refused is answered here, with a problem document: 431 for a header
    /// section over the decoder's limits, 400 otherwise (Hummingbird would send a bare 400). A body's
    /// framing error reaches the route reading it, which answers it (`EdgeMiddleware`).
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, phase == .awaitingFirstHead || phase == .keptAlive else {
            context.fireErrorCaught(error)
            return
        }
        deadline.disarm()
        if parserError == .headerOverflow {
            answer(context, status: .requestHeaderFieldsTooLarge, type: "headers-too-large",
                   detail: "the request's header section is larger than the server reads", retryAfter: nil)
        } else {
            answer(context, status: .badRequest, type: "malformed-request",
                   detail: "the request head could not be read as HTTP/1.1 (\(EdgeMiddleware.plainWords(parserError)))", retryAfter: nil)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // A response may end before its request's body was read (a refusal): the client still owes the rest.
        if case .end = unwrapOutboundIn(data), phase == .responding {
            phase = .keptAlive
            arm(context, after: limits.idleTimeout, reason: .idleTimeout)
        }
        context.write(data, promise: promise)
    }

    private func opened(_ context: ChannelHandlerContext) {
        guard !counted else { return }
        counted = true
        guard counts.opened() <= limits.maximumConnections else {
            counts.record(.connectionLimit)
            answer(context, status: .serviceUnavailable, type: "too-many-connections",
                   detail: "the server has its maximum of \(limits.maximumConnections) connections open; retry shortly",
                   retryAfter: 1)
            return
        }
        arm(context, after: limits.requestHeadTimeout, reason: .requestHeadTimeout)
    }

    private func finish() {
        deadline.disarm()
        timer?.cancel()
        timer = nil
        if counted {
            counted = false
            counts.finished()
        }
    }

    private func arm(_ context: ChannelHandlerContext, after duration: Duration, reason: ConnectionCounts.Reason) {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        perform(deadline.arm(until: .now() + .nanoseconds(nanoseconds), reason: reason), context)
    }

    private func perform(_ action: ConnectionDeadline<NIODeadline>.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .schedule(let instant):
            timer?.cancel()
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(deadline: instant) {
                let (handler, context) = bound.value
                handler.timer = nil
                handler.perform(handler.deadline.fired(now: .now()), context)
            }
        case .timedOut(let reason):
            timedOut(context, reason: reason)
        }
    }

    private func timedOut(_ context: ChannelHandlerContext, reason: ConnectionCounts.Reason) {
        counts.record(reason)
        switch reason {
        case .requestHeadTimeout:
            answer(context, status: .requestTimeout, type: "request-head-timeout",
                   detail: "no complete request head arrived within \(limits.requestHeadTimeout)", retryAfter: nil)
        case .bodyTimeout:
            answer(context, status: .requestTimeout, type: "body-timeout",
                   detail: "the request body stalled for \(limits.idleTimeout)", retryAfter: nil)
        case .idleTimeout, .connectionLimit:
            // Closing a kept-alive connection nobody uses is ordinary HTTP: no answer is owed.
            context.close(promise: nil)
        }
    }

    /// Answers with a problem document and closes the connection.
    private func answer(_ context: ChannelHandlerContext, status: HTTPResponse.Status, type: String, detail: String, retryAfter: Int?) {
        phase = .responding
        let problem = Problem(status, type: type, title: status.reasonPhrase, detail: detail, retryAfter: retryAfter)
        var body = context.channel.allocator.buffer(capacity: 256)
        body.writeBytes((try? JSONEncoder().encode(problem)) ?? Data())
        var head = HTTPResponse(status: status)
        head.headerFields[.contentType] = "application/problem+json"
        head.headerFields[.contentLength] = "\(body.readableBytes)"
        head.headerFields[.connection] = "close"
        if let retryAfter { head.headerFields[.retryAfter] = "\(retryAfter)" }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
