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

    /// Runs `body` with a live connection. When the connection breaks under `body` (the server
    /// restarted or ended it), `body` runs once more on a fresh one: the bodies this client runs
    /// are single statements or whole transactions, and the server rolls back what a lost
    /// connection had started. A failure to connect is not retried here.
    func withConnection<T>(_ body: (PostgresConnection) throws(PostgresError) -> T) -> Result<T, PostgresError> {
        switch attempt(body) {
        case .success(let value): return .success(value)
        case .failure(let failure) where failure.lostConnection: return attempt(body).mapError(\.error)
        case .failure(let failure): return .failure(failure.error)
        }
    }

    private func attempt<T>(_ body: (PostgresConnection) throws(PostgresError) -> T) -> Result<T, Failure> {
        let current: PostgresConnection
        if let connection, !connection.isBroken {
            current = connection
        } else {
            connection = nil
            do {
                current = try open()
            } catch {
                return .failure(Failure(error: error, lostConnection: false))
            }
        }
        do {
            return .success(try body(current))
        } catch {
            let lost = current.isBroken
            if lost { connection = nil }
            return .failure(Failure(error: error, lostConnection: lost && error.code == .connectionFailed))
        }
    }

    /// An error and whether it came from a connection that broke while in use.
    private struct Failure: Error {
        let error: PostgresError
        let lostConnection: Bool
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
