import Foundation
import Hummingbird

/// An RFC 9457 problem document: the one shape of every error the gateway returns.
public struct Problem: Error, Codable, Sendable, Equatable {
    /// A stable URI naming the kind of problem; clients branch on it, never on `detail`.
    public var type: String
    public var title: String
    public var statusCode: Int
    public var detail: String

    private enum CodingKeys: String, CodingKey {
        case type, title, detail
        case statusCode = "status"
    }

    public init(_ status: HTTPResponse.Status, type: String, title: String, detail: String) {
        self.type = "https://moviemash.example/problems/" + type
        self.title = title
        statusCode = status.code
        self.detail = detail
    }
}

extension Problem: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(self))))
    }
}
