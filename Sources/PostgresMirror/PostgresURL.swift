import Foundation
import NIOSSL
import PostgresNIO

/// A `postgres://user:password@host:port/database?sslmode=…` URL, checked and turned into a connection
/// configuration.
public struct PostgresURL: Sendable, CustomStringConvertible {
    public let configuration: PostgresConnection.Configuration
    /// The URL without its password, for messages and logs.
    public let redacted: String

    public var description: String { redacted }

    /// Parses `text`; `sslmode` may be `disable` (the default), `prefer` or `require`.
    public init(_ text: String) throws(MirrorError) {
        func invalid(_ why: String) -> MirrorError {
            MirrorError(.invalidURL, "invalid PostgreSQL URL '\(Self.redact(text))': \(why)")
        }
        guard let components = URLComponents(string: text) else { throw invalid("it is not a URL") }
        guard let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw invalid("the scheme must be postgres:// or postgresql://")
        }
        guard let host = components.host, !host.isEmpty else { throw invalid("it names no host") }
        guard let user = components.user, !user.isEmpty else { throw invalid("it names no user") }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw invalid("port \(port) is out of range") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let database = path.isEmpty ? user : path
        guard !database.contains("/") else { throw invalid("the path must be just the database name") }

        var tls = PostgresConnection.Configuration.TLS.disable
        var connectTimeout: TimeAmount = .seconds(10)
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("sslmode", "disable"?):
                tls = .disable
            case ("sslmode", let mode?) where mode == "prefer" || mode == "require":
                do {
                    let context = try NIOSSLContext(configuration: .makeClientConfiguration())
                    tls = mode == "prefer" ? .prefer(context) : .require(context)
                } catch {
                    throw invalid("TLS is unavailable: \(error)")
                }
            case ("connect_timeout", let seconds?):
                guard let value = Int64(seconds), value > 0 else { throw invalid("connect_timeout must be a positive number of seconds") }
                connectTimeout = .seconds(value)
            default:
                throw invalid("unsupported parameter '\(item.name)' (use sslmode=disable|prefer|require, connect_timeout=SECONDS)")
            }
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: components.password, database: database, tls: tls)
        configuration.options.connectTimeout = connectTimeout
        self.configuration = configuration
        redacted = "\(scheme)://\(user)@\(host):\(port)/\(database)"
    }

    private static func redact(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? text
    }
}
