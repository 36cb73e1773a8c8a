import PostgresNIO
import Synchronization

extension PostgresConnection {
    /// Runs `operation`, but fails as soon as the connection closes.
    ///
    /// PostgresNIO 1.33.2 can lose a query's completion when the server dies mid-query (seen with
    /// `pg_ctl stop -m immediate`): the query's task would wait forever and the mirror would never retry.
    /// The operation runs in its own task; if the connection closes first, this returns an error and that
    /// task is cancelled (and, if the library lost it, left suspended).
    func watched<Value: Sendable>(
        target: String, _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let outcome = Mutex<CheckedContinuation<Value, any Error>?>(nil)
        let work = Mutex<Task<Void, Never>?>(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                outcome.withLock { $0 = continuation }
                let finish: @Sendable (Result<Value, any Error>) -> Void = { result in
                    outcome.withLock { pending in
                        pending?.resume(with: result)
                        pending = nil
                    }
                }
                work.withLock {
                    $0 = Task {
                        do { finish(.success(try await operation())) } catch { finish(.failure(error)) }
                    }
                }
                closeFuture.whenComplete { _ in
                    finish(.failure(MirrorError(.unreachable, "\(target) closed the connection")))
                    work.withLock { $0?.cancel() }
                }
            }
        } onCancel: {
            work.withLock { $0?.cancel() }
        }
    }
}
