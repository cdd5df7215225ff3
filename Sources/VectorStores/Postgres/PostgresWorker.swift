import Foundation

/// The loop of one pooled connection, on a thread of its own.
///
/// libpq blocks in connect, send and receive; confining each `PGconn` to a private thread keeps
/// those waits off the Swift concurrency pool and gives the handle a single owner. The
/// connection opens lazily on the first job, runs the session settings, and is replaced after
/// it breaks, so the client survives a server restart.
///
/// Not `Sendable`: an instance is created on its thread and never leaves it.
final class PostgresWorker {
    private let configuration: PostgresClient.Settings
    private let queue: PostgresJobQueue
    private var connection: PostgresConnection?

    static func start(index: Int, configuration: PostgresClient.Settings, queue: PostgresJobQueue) {
        let thread = Thread {
            // Named from inside: on Linux a name set before `start()` does not reach the OS thread.
            Thread.current.name = "postgres-\(index)"
            Self.blockSIGPIPE()
            let worker = PostgresWorker(configuration: configuration, queue: queue)
            worker.serve()
        }
        thread.start()
    }

    private init(configuration: PostgresClient.Settings, queue: PostgresJobQueue) {
        self.configuration = configuration
        self.queue = queue
    }

    private func serve() {
        while let job = queue.next() {
            job.run(self)
        }
        connection = nil // PQfinish on this, the owning, thread
    }

    /// Runs `body` with a live connection. When a connection that sat in the pool turns out to
    /// be dead (the server restarted), `body` runs once more on a fresh one: the bodies this
    /// client runs are single statements or whole transactions, so a lost connection means the
    /// server rolled back whatever had started.
    func withConnection<T>(_ body: (PostgresConnection) throws(PostgresError) -> T) -> Result<T, PostgresError> {
        let reused = connection != nil
        let first = attempt(body)
        if case .failure(let error) = first, error.code == .connectionFailed, reused, connection == nil {
            return attempt(body)
        }
        return first
    }

    private func attempt<T>(_ body: (PostgresConnection) throws(PostgresError) -> T) -> Result<T, PostgresError> {
        let current: PostgresConnection
        if let connection, !connection.isBroken {
            current = connection
        } else {
            connection = nil
            do {
                current = try open()
            } catch {
                return .failure(error)
            }
        }
        let result: Result<T, PostgresError>
        do {
            result = .success(try body(current))
        } catch {
            result = .failure(error)
        }
        if current.isBroken { connection = nil }
        return result
    }

    private func open() throws(PostgresError) -> PostgresConnection {
        let opened = try PostgresConnection(url: configuration.url, connectTimeout: configuration.connectTimeoutSeconds,
                                            applicationName: configuration.applicationName)
        for (name, value) in configuration.sessionSettings {
            try opened.execute("SELECT set_config($1, $2, false)", [name, value])
        }
        connection = opened
        return opened
    }

    /// libpq writes with `send(MSG_NOSIGNAL)` on Linux, but OpenSSL may not: blocking SIGPIPE on
    /// this thread turns a write to a closed socket into an error instead of killing the process.
    private static func blockSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
}
