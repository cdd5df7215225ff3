import Foundation
import Logging

/// The loop of one pooled connection, running on its own dedicated thread.
///
/// hiredis' synchronous API blocks in `connect`/`read`/`write`; confining each
/// context to a private thread keeps those waits off the Swift concurrency pool
/// and makes the context single-owner. The connection is opened lazily on the
/// first job and reopened after any failure, so the client survives the server
/// going away and coming back without a restart.
///
/// Not `Sendable`: an instance is created on its thread and never leaves it.
final class RedisWorker {
    private let index: Int
    private let configuration: RedisConfiguration
    private let queue: RedisJobQueue
    private let logger: Logger
    private var connection: RedisConnection?
    /// Remembered so that an outage logs one warning, not one per queued command.
    private var lastConnectFailed = false

    /// Starts a detached thread that serves `queue` until it is closed.
    static func start(index: Int, configuration: RedisConfiguration, queue: RedisJobQueue, logger: Logger) {
        let thread = Thread {
            // Named from inside: on Linux, `Thread.name` set before `start()` does not
            // reach the OS thread, and the name helps in `top -H`, gdb and crash logs.
            Thread.current.name = "redis-\(index)"
            Self.ignoreSIGPIPE()
            let worker = RedisWorker(index: index, configuration: configuration, queue: queue, logger: logger)
            worker.serve()
        }
        thread.start()
    }

    private init(index: Int, configuration: RedisConfiguration, queue: RedisJobQueue, logger: Logger) {
        self.index = index
        self.configuration = configuration
        self.queue = queue
        self.logger = logger
    }

    private func serve() {
        logger.trace("redis worker started", metadata: ["redis.worker": "\(index)"])
        while let batch = queue.next(maxCommands: Self.maxCommandsPerRoundTrip) {
            if batch.count == 1, case .exclusive(let run) = batch[0].work {
                run(self)
            } else {
                send(batch)
            }
        }
        connection = nil // frees the hiredis context on this, its owning, thread
        logger.debug("redis worker stopped", metadata: ["redis.worker": "\(index)"])
    }

    /// The most commands one round trip carries when queued jobs are sent together.
    static let maxCommandsPerRoundTrip = 128

    /// Writes the commands of every job in `batch` in one go, reads all the replies, then hands
    /// each job its own. A transport failure fails every job of the batch: no reply was handed
    /// out yet, and some commands may have run (as with any lost connection).
    private func send(_ batch: [RedisJob]) {
        var commands: [[RedisArgument]] = []
        for job in batch {
            if case .commands(let own, _, _) = job.work { commands.append(contentsOf: own) }
        }
        let outcome = withConnection { connection throws(RedisError) in
            let replies = try connection.pipeline(commands)
            queue.roundTrips.add(1, ordering: .relaxed)
            queue.commandsSent.add(commands.count, ordering: .relaxed)
            var start = replies.startIndex
            for job in batch {
                // `RedisJobQueue.next` puts only command jobs in a batch of more than one.
                guard case .commands(let own, _, let finish) = job.work else { continue }
                finish(connection, replies[start..<start + own.count])
                start += own.count
            }
        }
        if case .failure(let error) = outcome {
            for job in batch { job.fail(error) }
        }
    }

    /// Runs `body` with a live connection, opening one if needed, and discards the
    /// connection afterwards if it broke so the next job starts clean.
    func withConnection<T>(_ body: (RedisConnection) throws(RedisError) -> T) -> Result<T, RedisError> {
        let current: RedisConnection
        if let connection, connection.isReusable {
            current = connection
        } else {
            if connection != nil {
                logger.info("redis connection closed by the server; reconnecting", metadata: ["redis.worker": "\(index)"])
                connection = nil
            }
            switch open() {
            case .success(let opened): current = opened
            case .failure(let error): return .failure(error)
            }
        }
        let result: Result<T, RedisError>
        do {
            result = .success(try body(current))
        } catch {
            result = .failure(error)
        }
        if current.isBroken {
            connection = nil
            if case .failure(let error) = result {
                logger.warning("redis connection dropped", metadata: [
                    "redis.worker": "\(index)", "redis.error": "\(error)",
                ])
            }
        }
        return result
    }

    private func open() -> Result<RedisConnection, RedisError> {
        do {
            let opened = try RedisConnection(configuration: configuration)
            connection = opened
            if lastConnectFailed {
                logger.info("redis connection restored", metadata: ["redis.worker": "\(index)"])
            } else {
                logger.debug("redis connected", metadata: ["redis.worker": "\(index)"])
            }
            lastConnectFailed = false
            return .success(opened)
        } catch {
            let metadata: Logger.Metadata = ["redis.worker": "\(index)", "redis.error": "\(error)"]
            if lastConnectFailed {
                logger.debug("redis connect failed again", metadata: metadata)
            } else {
                logger.warning("redis connect failed", metadata: metadata)
            }
            lastConnectFailed = true
            return .failure(error)
        }
    }

    /// hiredis writes with `write(2)`, which raises SIGPIPE on a socket the server
    /// closed, killing the process by default. Blocking the signal on this thread
    /// only (instead of ignoring it process-wide) turns it into an `EPIPE` error
    /// without changing signal handling for the rest of the program.
    private static func ignoreSIGPIPE() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
}
