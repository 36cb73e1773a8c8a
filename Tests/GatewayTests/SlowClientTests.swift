import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import Gateway
import Hummingbird
import InMemoryLogging
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import TestSupport

/// Plain blocking sockets on a thread of their own, the way an abusive client holds connections open.
private enum RawSockets {
    /// Runs `work` on a new thread (blocking calls would stall the test's cooperative pool).
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// A connected socket to 127.0.0.1:`port` that has sent `prefix`, or -1.
    static func connect(port: Int, sending prefix: String) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            return -1
        }
        if !prefix.isEmpty { _ = prefix.withCString { send(descriptor, $0, strlen($0), 0) } }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return descriptor
    }

    /// Everything the server sends until it closes the connection (nil if it stays open past the socket's
    /// receive timeout), then closes the socket.
    static func readUntilClosed(_ descriptor: Int32) -> String? {
        defer { close(descriptor) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 { return String(decoding: received, as: UTF8.self) }
            if count < 0 { return errno == ECONNRESET ? String(decoding: received, as: UTF8.self) : nil }
            received += buffer[..<count]
        }
    }
}

@Suite struct SlowClientTests {
    /// Runs the gateway over the sample read model with `limits` and hands `body` its base URL.
    private func withGateway(
        _ limits: ConnectionLimits, writes: WriteSide? = nil, logs: InMemoryLogHandler? = nil, _ body: (Int, GatewayMetrics) async throws -> Void
    ) async throws {
        let (model, _) = await sampleReadModel()
        var configuration = GatewayApplication.Configuration()
        configuration.port = 0
        configuration.connections = limits
        configuration.perAddress = .init(perSecond: 100_000, burst: 100_000)
        let port = Mutex<Int?>(nil)
        let application = try GatewayApplication.application(
            readModel: model, writes: writes, configuration: configuration,
            logger: Logger(label: "test") { _ -> any LogHandler in logs ?? SwiftLogNoOpLogHandler() }
        ) { bound in port.withLock { $0 = bound } }
        let group = ServiceGroup(services: [application], logger: Logger(label: "test"))
        let running = Task { try await group.run() }
        #expect(try await eventually(timeout: .seconds(60)) { port.withLock { $0 } != nil })
        do {
            try await body(port.withLock { $0 }!, configuration.metrics)
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }

    @Test func thousandsOfHalfSentHeadersAreClosedWithin408WhileOrdinaryRequestsAreServed() async throws {
        var limits = ConnectionLimits()
        limits.requestHeadTimeout = .seconds(3)
        limits.maximumConnections = 10_000
        let attackers = 2000
        try await withGateway(limits) { port, metrics in
            let sockets = await RawSockets.onThread {
                (0..<attackers).map { _ in RawSockets.connect(port: port, sending: "GET /health HTTP/1.1\r\nHost: moviemash\r\nX-Slow: ") }
            }
            let opened = ContinuousClock.now
            // When the server has timed them all out, by its own count: what this client does meanwhile (the
            // requests below, reading 2,000 answers one by one) is not the server's time.
            let closing = Task { () -> Duration? in
                guard try await eventually(timeout: .seconds(120), { metrics.connections.count(.requestHeadTimeout) >= attackers }) else { return nil }
                return ContinuousClock.now - opened
            }
            #expect(sockets.allSatisfy { $0 >= 0 })
            // While they hold their connections, ordinary requests are answered.
            var latencies: [Duration] = []
            for _ in 0..<20 {
                let start = ContinuousClock.now
                let (_, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!)
                latencies.append(.now - start)
                #expect((response as? HTTPURLResponse)?.statusCode == 200)
            }
            let answers = await RawSockets.onThread { sockets.map(RawSockets.readUntilClosed) }
            // Left open, they would never be counted: the deadline (two minutes, for a suite that loads both
            // cores; alone it takes about the 3 s timeout) only bounds the wait.
            let closedAfter = try #require(try await closing.value, "the server timed out every half-open connection")
            #expect(answers.allSatisfy { $0?.hasPrefix("HTTP/1.1 408") == true }, "every half-open connection got 408 and was closed")
            #expect(metrics.connections.count(.requestHeadTimeout) == attackers)
            let sorted = latencies.sorted()
            print("slow-loris: \(attackers) half-open connections all closed \(closedAfter) after the last one opened; /health while they were held: median \(sorted[sorted.count / 2]), max \(sorted.last!)")
            // URLSession keeps its one connection alive; every attacker's is gone.
            #expect(try await eventually { metrics.connections.openConnections <= 2 })
        }
    }

    /// What the parser refuses is the client's mistake: an unknown transfer coding 400, a header section
    /// over the limit 431, a garbled request line 400, each with a problem document and never logged as an
    /// error; the next connection is served.
    @Test func framingTheParserRefusesIsA4xxProblemNotA500() async throws {
        let logged = InMemoryLogHandler()
        let writes = WriteSide(
            appender: MemoryAppender(), authority: await TokenAuthority(keys: testKeys), vault: sharedTestVault, bcryptCost: 4)
        try await withGateway(ConnectionLimits(), writes: writes, logs: logged) { port, _ in
            let requests = [
                "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\nContent-Type: application/json\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 200_000) + "\r\n\r\n",
                "GET /health HTTP/9\r\n\r\n",
            ]
            let answers = await RawSockets.onThread { requests.map { RawSockets.readUntilClosed(RawSockets.connect(port: port, sending: $0)) } }
            let statuses = answers.map { $0.map { String($0.prefix(12)) } }
            #expect(statuses == ["HTTP/1.1 400", "HTTP/1.1 431", "HTTP/1.1 400"], "\(answers)")
            #expect(answers.allSatisfy { $0?.contains("application/problem+json") == true }, "\(answers)")
            #expect(answers[0]?.contains("malformed-request") == true && answers[0]?.contains("Transfer-Encoding") == true)
            #expect(answers[1]?.contains("headers-too-large") == true)
            let (_, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
        }
        #expect(!logged.entries.contains { $0.level >= .error }, "a client's mistake is not the server's error")
    }

    @Test func beyondTheConnectionLimitANewConnectionIsAnswered503AndClosed() async throws {
        var limits = ConnectionLimits()
        limits.maximumConnections = 20
        try await withGateway(limits) { port, metrics in
            let idle = await RawSockets.onThread { (0..<20).map { _ in RawSockets.connect(port: port, sending: "") } }
            #expect(try await eventually { metrics.connections.openConnections == 20 })
            let extra = await RawSockets.onThread { (0..<5).map { _ in RawSockets.readUntilClosed(RawSockets.connect(port: port, sending: "")) } }
            #expect(extra.allSatisfy { $0?.hasPrefix("HTTP/1.1 503") == true && $0?.contains("too-many-connections") == true }, "\(extra)")
            #expect(extra.allSatisfy { $0?.lowercased().contains("retry-after: 1") == true })
            #expect(metrics.connections.count(.connectionLimit) == 5)
            for descriptor in idle { close(descriptor) }
            #expect(try await eventually { metrics.connections.openConnections == 0 })
            let (_, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/health")!)
            #expect((response as? HTTPURLResponse)?.statusCode == 200, "once connections close, new ones are served")
            let exposition = String(decoding: metrics.exposition(), as: UTF8.self)
            #expect(exposition.contains(#"moviemash_http_connections_closed_total{reason="connection-limit"} 5"#), "\(exposition)")
        }
    }

    @Test func aKeptAliveConnectionIsClosedAfterTheIdleTimeoutWithoutAnAnswer() async throws {
        var limits = ConnectionLimits()
        limits.idleTimeout = .milliseconds(500)
        try await withGateway(limits) { port, metrics in
            let answer = await RawSockets.onThread {
                RawSockets.readUntilClosed(RawSockets.connect(port: port, sending: "GET /health HTTP/1.1\r\nHost: moviemash\r\n\r\n"))
            }
            #expect(answer?.hasPrefix("HTTP/1.1 200") == true)
            #expect(answer?.components(separatedBy: "HTTP/1.1").count == 2, "one answer, then closed when idle: \(answer ?? "open")")
            #expect(metrics.connections.count(.idleTimeout) == 1)
        }
    }
}
