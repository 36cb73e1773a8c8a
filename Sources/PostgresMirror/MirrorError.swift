import ByteCoding
import Foundation
import NIOCore
import NIOPosix
import PostgresNIO

/// An error of the PostgreSQL side, with a one-line message fit for an operator.
public struct MirrorError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong; a struct so new codes do not break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// The PostgreSQL URL cannot be used.
        public static let invalidURL = Code(name: "invalidURL")
        /// The server cannot be reached now (down, restarting, network): worth retrying.
        public static let unreachable = Code(name: "unreachable")
        /// The server refused the login or lacks the database: retrying will not help.
        public static let rejected = Code(name: "rejected")
        /// A migration failed (and was rolled back) or an applied one was changed.
        public static let migration = Code(name: "migration")
        /// The table holds an event the log does not (it mirrors another log).
        public static let foreignEvents = Code(name: "foreignEvents")
        /// The log holds an event this build cannot decode.
        public static let undecodableEvent = Code(name: "undecodableEvent")
        /// Another mirror moved the checkpoint under this one.
        public static let fenced = Code(name: "fenced")
        /// A query failed.
        public static let query = Code(name: "query")
        /// The writer lease moved to another epoch: this writer may commit nothing more.
        public static let leaseLost = Code(name: "leaseLost")
    }

    public var code: Code
    public var message: String
    /// The PostgresNIO, NIO or other error this one explains, if any.
    public var cause: (any Error)?
    /// Where in MovieMash's source it was raised.
    public var location: SourceLocation

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.cause = cause
        location = SourceLocation(fileID: fileID, line: line)
    }

    public var description: String { message }

    /// Equal when they say the same (not the cause or where it was raised).
    public static func == (left: MirrorError, right: MirrorError) -> Bool {
        left.code == right.code && left.message == right.message
    }

    /// Whether waiting cannot fix it: the mirror stops instead of retrying.
    public var isPermanent: Bool { code != .unreachable && code != .query && code != .fenced }

    /// A one-line explanation of an error from PostgresNIO or the network, for `target` (a redacted URL).
    public static func describe(_ error: any Error, target: String) -> MirrorError {
        var described = explain(error, target: target)
        if described.cause == nil, !(error is MirrorError) { described.cause = error }
        return described
    }

    private static func explain(_ error: any Error, target: String) -> MirrorError {
        if let error = error as? MirrorError { return error }
        if let error = error as? PostgresTransactionError {
            return explain(error.closureError ?? error.beginError ?? error.commitError ?? error, target: target)
        }
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                let state = psql.serverInfo?[.sqlState] ?? ""
                // Login refused or no such database; the server shutting down, starting up or full.
                let rejected: Set<String> = ["28P01", "28000", "3D000"]
                let unavailable: Set<String> = ["57P01", "57P02", "57P03", "53300"]
                return MirrorError(
                    rejected.contains(state) ? .rejected : unavailable.contains(state) ? .unreachable : .query,
                    "\(target): \(message)" + (psql.serverInfo?[.detail].map { " (\($0))" } ?? "") + " [SQLSTATE \(state)]")
            }
            switch psql.code {
            case .connectionError:
                return MirrorError(.unreachable, "cannot connect to \(target): \(reason(psql.underlying))")
            case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
                return MirrorError(.unreachable, "\(target) closed the connection")
            case .authMechanismRequiresPassword:
                return MirrorError(.rejected, "\(target) requires a password and the URL has none")
            default:
                return MirrorError(.query, "\(target): \(psql.code)")
            }
        }
        if error is IOError || error is ChannelError || error is NIOConnectionError {
            return MirrorError(.unreachable, "cannot connect to \(target): \(reason(error))")
        }
        return MirrorError(.query, "\(target): \(error)")
    }

    /// The short cause of a failed connection ("connection refused", "host not found").
    private static func reason(_ error: (any Error)?) -> String {
        switch error {
        case let error as NIOConnectionError:
            if let failure = error.connectionErrors.first { return reason(failure.error) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "host \(error.host) not found" }
            return "no address for \(error.host):\(error.port)"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        case let error?:
            return "\(error)"
        case nil:
            return "connection failed"
        }
    }
}
