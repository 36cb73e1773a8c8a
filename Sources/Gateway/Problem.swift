import MovieMashCore
import Foundation
import Hummingbird

/// An RFC 9457 problem document: the one shape of every error the gateway returns.
public struct Problem: Error, Codable, Sendable, Equatable {
    /// A stable URI naming the kind of problem; clients branch on it, never on `detail`.
    public var type: String
    public var title: String
    public var statusCode: Int
    public var detail: String
    /// Seconds a client should wait before trying again (sent as `Retry-After`).
    public var retryAfter: Int?
    /// The methods a path accepts (sent as `Allow` with 405).
    public var allow: String?
    /// With `not-ready`: every component and its lag (an extension member, as RFC 9457 allows).
    public var components: [Readiness.Component]?

    private enum CodingKeys: String, CodingKey {
        case type, title, detail, components
        case statusCode = "status"
    }

    public init(_ status: HTTPResponse.Status, type: String, title: String, detail: String, retryAfter: Int? = nil) {
        self.type = "https://moviemash.example/problems/" + type
        self.title = title
        statusCode = status.code
        self.detail = detail
        self.retryAfter = retryAfter
    }

    static func storageUnavailable(_ error: StorageUnavailable) -> Problem {
        Problem(.serviceUnavailable, type: "storage-unavailable", title: "Storage unavailable",
                detail: "events cannot be stored right now; nothing of this request was stored; retry in \(error.retryAfter) s",
                retryAfter: error.retryAfter)
    }

    static func replicationPending(_ pending: ReplicationPending) -> Problem {
        Problem(.serviceUnavailable, type: "replication-pending", title: "Replication pending",
                detail: "the write is in the writer's log but not yet confirmed in PostgreSQL and its standby, so it is not acknowledged; retry in \(pending.retryAfter) s with the same Idempotency-Key for its answer",
                retryAfter: pending.retryAfter)
    }

    static func tooManyRequests(_ wait: Duration, who: String) -> Problem {
        let seconds = max(1, Int((wait / .seconds(1)).rounded(.up)))
        return Problem(.tooManyRequests, type: "rate-limited", title: "Too many requests",
                       detail: "\(who) is sending requests too fast; retry in \(seconds) s", retryAfter: seconds)
    }
}

extension Problem: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if let retryAfter { headers[.retryAfter] = "\(retryAfter)" }
        if let allow { headers[.allow] = allow }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(self))))
    }
}
