import Logging
import PostgresNIO

extension PostgresConnection {
    /// The single column of every row `query` returns.
    func values<Value: PostgresDecodable & Sendable>(
        _ query: PostgresQuery, as type: Value.Type, logger: Logger
    ) async throws -> [Value] {
        let rows = try await self.query(query, logger: logger)
        var values: [Value] = []
        for try await value in rows.decode(Value.self) { values.append(value) }
        return values
    }
}
