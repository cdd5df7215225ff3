import Logging

/// An async Redis client over a pool of hiredis connections.
///
/// Each connection belongs to a dedicated worker thread; `async` methods enqueue a
/// job on a shared bounded queue and suspend until a worker finishes it, so the
/// blocking hiredis calls never run on the caller's (cooperative-pool) thread.
/// Connections are opened lazily and reopened after failures: while the server is
/// down calls fail with clear errors, and they succeed again once it is back.
///
/// `Sendable` because it holds only immutable configuration and the thread-safe
/// queue; all C state is confined to the worker threads.
public final class RedisClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: RedisConfiguration
    private let queue: RedisJobQueue
    private let logger: Logger
    private let workerCount: Int

    /// Creates the client and starts its `poolSize` worker threads. Nothing is
    /// sent to the server yet; call ``connect(file:line:)`` to check reachability.
    public init(configuration: RedisConfiguration, logger: Logger = Logger(label: "switchboard.redis")) {
        var logger = logger
        logger[metadataKey: "redis.address"] = "\(configuration.address)"
        self.configuration = configuration
        self.logger = logger
        self.workerCount = max(1, configuration.poolSize)
        self.queue = RedisJobQueue(capacity: configuration.maxPendingCommands, address: configuration.address)
        for index in 0..<workerCount {
            RedisWorker.start(index: index, configuration: configuration, queue: queue, logger: logger)
        }
    }

    deinit {
        shutdown()
    }

    /// Verifies once that the server is reachable (and that `AUTH`/`SELECT`
    /// succeed) by sending `PING`. Throws, e.g.,
    /// `redis 127.0.0.1:6379: connection refused` when nothing listens.
    public func connect(file: String = #fileID, line: UInt = #line) async throws(RedisError) {
        _ = try await send(["PING"], file: file, line: line)
        logger.debug("redis reachable")
    }

    /// Sends one command and returns its reply.
    ///
    /// An error reply from the server throws ``RedisError/Code/server`` with the
    /// server's message (`WRONGTYPE Operation against a key ...`).
    public func send(_ arguments: [RedisArgument], file: String = #fileID, line: UInt = #line) async throws(RedisError) -> RedisValue {
        let address = configuration.address
        return try await perform([arguments], file: file, line: line) { _, replies throws(RedisError) in
            let reply = replies[replies.startIndex]
            if case .error(let message) = reply {
                throw RedisError(.server, message, address: address)
            }
            return reply
        }
    }

    /// Sends all commands in one round trip (append all, then read all) on one
    /// connection and returns their replies in order.
    ///
    /// Error replies are returned as ``RedisValue/error(_:)`` in place rather than
    /// thrown, because the other commands did run. Transport failures throw for the
    /// whole batch; some commands may then have run. Not a transaction: wrap in
    /// `MULTI`/`EXEC` for atomicity.
    public func pipeline(_ commands: [[RedisArgument]], file: String = #fileID, line: UInt = #line) async throws(RedisError) -> [RedisValue] {
        if commands.isEmpty { return [] }
        return try await perform(commands, file: file, line: line) { _, replies in Array(replies) }
    }

    /// Runs `script` with `EVALSHA`, loading it with `SCRIPT LOAD` first when its
    /// SHA-1 is not known yet, and once more (then retrying once) if the server
    /// answers `NOSCRIPT` (after `SCRIPT FLUSH` or a restart). A server error
    /// raised by the script throws ``RedisError/Code/server``.
    public func eval(
        _ script: RedisScript, keys: [String], args: [RedisArgument],
        file: String = #fileID, line: UInt = #line
    ) async throws(RedisError) -> RedisValue {
        let address = configuration.address
        let tail = [RedisArgument(keys.count)] + keys.map { RedisArgument($0) } + args
        // `??` would erase the typed error (its autoclosure rethrows `any Error`).
        let sha: String
        if let cached = script.sha1 { sha = cached } else { sha = try await load(script, file: file, line: line) }
        // EVALSHA can share a round trip with other callers' commands; a NOSCRIPT reply (after
        // `SCRIPT FLUSH` or a restart) reloads the script on the same connection and retries.
        return try await perform([["EVALSHA", RedisArgument(sha)] + tail], file: file, line: line) { connection, replies throws(RedisError) in
            var reply = replies[replies.startIndex]
            if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
                let reloaded = try Self.load(script, on: connection, address: address)
                reply = try connection.command(["EVALSHA", RedisArgument(reloaded)] + tail)
            }
            if case .error(let message) = reply {
                throw RedisError(.server, message, address: address)
            }
            return reply
        }
    }

    /// Sends `SCRIPT LOAD` now (e.g. at startup, to surface Lua syntax errors early)
    /// and returns the SHA-1 the server reports, which `script` then caches.
    @discardableResult
    public func load(_ script: RedisScript, file: String = #fileID, line: UInt = #line) async throws(RedisError) -> String {
        let address = configuration.address
        return try await perform(file: file, line: line) { connection throws(RedisError) in
            try Self.load(script, on: connection, address: address)
        }
    }

    /// Counters since the client started, to see how well commands share round trips.
    public struct Statistics: Sendable, Equatable {
        /// Round trips that carried queued callers' commands (script loads and retries aside).
        public var roundTrips: Int
        /// Commands those round trips carried.
        public var commands: Int
        /// Calls waiting for a connection right now.
        public var waiting: Int
    }

    /// Round trips and the commands they carried so far, and the calls waiting now.
    public var statistics: Statistics {
        Statistics(roundTrips: queue.roundTrips.load(ordering: .relaxed), commands: queue.commandsSent.load(ordering: .relaxed),
                   waiting: queue.waitingCount)
    }

    /// Stops the client: commands still queued fail with ``RedisError/Code/closed``,
    /// new calls fail the same way, and each worker closes its connection and exits
    /// after finishing the command it is running (bounded by the command timeout).
    /// Does not block. Idempotent; also called on deinit.
    public func shutdown() {
        let pending = queue.close()
        for job in pending {
            job.fail(RedisError(.closed, "client shut down before the command was sent", address: configuration.address))
        }
        if !pending.isEmpty {
            logger.debug("redis client shut down", metadata: ["redis.failedPending": "\(pending.count)"])
        }
    }

    // MARK: - Internals

    /// Queues `body` to run alone on a worker's connection and suspends until it has run.
    private func perform<T: Sendable>(
        file: String, line: UInt,
        _ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> T
    ) async throws(RedisError) -> T {
        try await submit(file: file, line: line) { resume in
            .exclusive { worker in resume(worker.withConnection(body)) }
        }
    }

    /// Queues `commands` and suspends until `finish` has turned their replies into the result.
    /// Unless a command blocks, the worker may send them in one round trip with other callers'.
    /// Empty commands are rejected here, before they could fail someone else's batch.
    private func perform<T: Sendable>(
        _ commands: [[RedisArgument]], file: String, line: UInt,
        finish: @escaping @Sendable (RedisConnection, ArraySlice<RedisValue>) throws(RedisError) -> T
    ) async throws(RedisError) -> T {
        guard commands.allSatisfy({ !$0.isEmpty }) else {
            throw RedisError(.protocolError, "empty command", address: configuration.address).located(file: file, line: line)
        }
        let batchable = !commands.contains(where: Self.blocks)
        return try await submit(file: file, line: line) { resume in
            .commands(commands, batchable: batchable) { connection, replies in
                do throws(RedisError) {
                    resume(.success(try finish(connection, replies)))
                } catch {
                    resume(.failure(error))
                }
            }
        }
    }

    /// Queues the job `work` builds around its completion and suspends until a worker (or a
    /// cancellation, or the shutdown) completes it.
    ///
    /// The continuation carries a `Result` because continuations cannot throw a typed error;
    /// it is checked (not unsafe) since the thread hop dwarfs its cost and a double resume
    /// would then trap instead of corrupting memory.
    ///
    /// Cancellation removes a job that is still queued (it throws `.cancelled`); a job already
    /// running completes, bounded by the command timeout, because hiredis cannot abort a
    /// blocking call.
    private func submit<T: Sendable>(
        file: String, line: UInt,
        _ work: (@escaping @Sendable (Result<T, RedisError>) -> Void) -> RedisJob.Work
    ) async throws(RedisError) -> T {
        let id = queue.makeJobID()
        let queue = self.queue
        let address = configuration.address
        let result: Result<T, RedisError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, RedisError>, Never>) in
                if Task.isCancelled {
                    continuation.resume(returning: .failure(RedisError(.cancelled, "cancelled before sending", address: address)))
                    return
                }
                let job = RedisJob(
                    id: id,
                    work: work { continuation.resume(returning: $0) },
                    fail: { error in continuation.resume(returning: .failure(error)) }
                )
                if let rejection = queue.submit(job) {
                    continuation.resume(returning: .failure(rejection))
                }
            }
        } onCancel: {
            queue.cancel(id: id)?.fail(RedisError(.cancelled, "cancelled while waiting for a connection", address: address))
        }
        return try result.mapError { $0.located(file: file, line: line) }.get()
    }

    /// Commands that can make the server wait before replying, upper-case; each gets a round
    /// trip of its own so that it never delays another caller's command.
    private static let blockingCommands: Set<[UInt8]> = Set([
        "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP",
        "WAIT", "WAITAOF", "XREAD", "XREADGROUP", "DEBUG", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "MONITOR",
    ].map { Array($0.utf8) })

    private static let longestBlockingCommand = blockingCommands.map(\.count).max() ?? 0

    private static func blocks(_ command: [RedisArgument]) -> Bool {
        guard let name = command.first?.bytes, name.count <= longestBlockingCommand else { return false }
        return blockingCommands.contains(name.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 })
    }

    private static func load(_ script: RedisScript, on connection: RedisConnection, address: String) throws(RedisError) -> String {
        let reply = try connection.command(["SCRIPT", "LOAD", RedisArgument(script.source)])
        if case .error(let message) = reply {
            throw RedisError(.server, message, address: address)
        }
        guard let sha = reply.string, !sha.isEmpty else {
            throw RedisError(.protocolError, "SCRIPT LOAD: unexpected reply \(reply)", address: address)
        }
        script.remember(sha1: sha)
        return sha
    }
}
