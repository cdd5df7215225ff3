/// A small pool of libpq connections behind an async API.
///
/// Each connection belongs to a worker thread; ``perform(file:line:_:)`` queues a closure for
/// whichever worker frees up first and suspends until it has run, so blocking libpq calls
/// never run on the cooperative pool. A closure gets the connection for its whole run, which
/// is what a transaction needs.
///
/// `Sendable`: it holds only settings and the thread-safe queue; all C state stays on the
/// worker threads.
final class PostgresClient: Sendable {
    /// What every connection of the pool is opened with.
    struct Settings: Sendable {
        var url: String
        var poolSize: Int
        var maxPending: Int
        var connectTimeoutSeconds: Int
        var applicationName: String
        /// `set_config` pairs run on every new connection (planner and index settings).
        var sessionSettings: [(String, String)]
    }

    let settings: Settings
    /// `host:port` as far as it can be told before connecting, for errors raised here.
    let address: String
    private let queue: PostgresJobQueue
    private let workerCount: Int

    init(settings: Settings) {
        self.settings = settings
        self.address = PostgresConnection.describe(settings.url)
        self.workerCount = max(1, settings.poolSize)
        self.queue = PostgresJobQueue(capacity: settings.maxPending, address: address)
        for index in 0..<workerCount {
            PostgresWorker.start(index: index, configuration: settings, queue: queue)
        }
    }

    deinit {
        shutdown()
    }

    /// Runs `body` on a pooled connection, off the cooperative pool, and returns its result.
    ///
    /// The continuation carries a `Result` because continuations cannot throw a typed error.
    /// A body already running is not interrupted by task cancellation: libpq cannot abort a
    /// blocking call, and the server finishes or rolls back the statement either way.
    @discardableResult
    func perform<T: Sendable>(
        file: String = #fileID, line: UInt = #line,
        _ body: @escaping @Sendable (PostgresConnection) throws(PostgresError) -> T
    ) async throws(PostgresError) -> T {
        let queue = self.queue
        let result: Result<T, PostgresError> = await withCheckedContinuation { continuation in
            let job = PostgresJob(
                run: { worker in continuation.resume(returning: worker.withConnection(body)) },
                fail: { error in continuation.resume(returning: .failure(error)) }
            )
            if let rejection = queue.submit(job) {
                continuation.resume(returning: .failure(rejection))
            }
        }
        return try result.mapError { $0.located(file: file, line: line) }.get()
    }

    /// Stops the pool: queued work fails with `.closed`, each worker finishes the statement it
    /// is running, closes its connection and exits. Does not block; idempotent.
    func shutdown() {
        for job in queue.close(workers: workerCount) {
            job.fail(PostgresError(.closed, "client shut down before the statement was sent", address: address))
        }
    }
}
