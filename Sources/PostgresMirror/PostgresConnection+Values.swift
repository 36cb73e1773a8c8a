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

extension PostgresURL {
    /// Runs `body` on a new connection to this database and closes it afterwards, whatever happens; any
    /// error comes back described for an operator, naming the database.
    func withConnection<Value: Sendable>(
        logger: Logger, _ body: (PostgresConnection) async throws -> Value
    ) async throws(MirrorError) -> Value {
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
            do {
                let value = try await body(connection)
                try? await connection.close()
                return value
            } catch {
                try? await connection.close()
                throw error
            }
        } catch {
            throw MirrorError.describe(error, target: redacted)
        }
    }
}
