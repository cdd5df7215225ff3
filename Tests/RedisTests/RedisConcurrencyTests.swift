import Redis
import Testing

/// Many callers sharing one client: pooling, the bounded queue, cancellation and
/// shutdown.
@Suite("Concurrency", .timeLimit(.minutes(1)))
struct RedisConcurrencyTests {
    @Test("500 concurrent tasks each get their own replies")
    func fiveHundredTasks() async throws {
        let client = TestRedis.client()
        defer { client.shutdown() }
        try await TestRedis.withKeys(500, on: client) { keys in
            let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
                for (index, key) in keys.enumerated() {
                    group.addTask {
                        let value = RedisArgument("value-\(index)")
                        _ = try await client.send(["SET", RedisArgument(key), value])
                        let read = try await client.send(["GET", RedisArgument(key)])
                        let counted = try await client.send(["INCR", RedisArgument(key + ":n")])
                        _ = try await client.send(["DEL", RedisArgument(key + ":n")])
                        return read == .bulk(value.bytes) && counted == .integer(1) ? 0 : 1
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(mismatches == 0)
        }
    }

    @Test("commands queued behind a busy connection share one round trip and keep their own replies")
    func automaticPipelining() async throws {
        let client = TestRedis.client { $0.poolSize = 1 }
        let pusher = TestRedis.client()
        defer {
            client.shutdown()
            pusher.shutdown()
        }
        try await TestRedis.withKeys(101, on: pusher) { keys in
            let (list, keys) = (RedisArgument(keys[0]), Array(keys.dropFirst()))
            _ = try await pusher.pipeline(keys.enumerated().map { ["SET", RedisArgument($1), RedisArgument("v\($0)")] })
            // A BLPOP on an empty list holds the only connection (a blocking command travels
            // alone) until the list gets an element.
            async let popped = client.send(["BLPOP", list, 30])
            try await Task.sleep(for: .milliseconds(100))
            let gets = Task {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for (index, key) in keys.enumerated() {
                        group.addTask {
                            try await client.send(["GET", RedisArgument(key)]) == .bulk(Array("v\(index)".utf8)) ? 0 : 1
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
            let deadline = ContinuousClock.now + .seconds(20)
            while client.statistics.waiting < 100 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            let before = client.statistics
            #expect(before.waiting == 100)
            _ = try await pusher.send(["RPUSH", list, "go"])
            #expect(try await popped == .array([.bulk(list.bytes), .bulk(Array("go".utf8))]))
            #expect(try await gets.value == 0)
            let after = client.statistics
            // The BLPOP's round trip, then one for all 100 GETs.
            #expect(after.commands - before.commands == 101)
            #expect(after.roundTrips - before.roundTrips == 2)
        }
    }

    @Test("a full queue fails fast with .overloaded instead of waiting")
    func boundedQueue() async throws {
        let client = TestRedis.client {
            $0.poolSize = 1
            $0.maxPendingCommands = 2
        }
        defer { client.shutdown() }
        let key = RedisArgument(TestRedis.key())
        // Occupy the only connection for up to 2 s (nothing is ever pushed to `key`).
        async let blocker = client.send(["BLPOP", key, 2])
        try await Task.sleep(for: .milliseconds(200))
        let outcomes = await withTaskGroup(of: RedisError.Code?.self) { group in
            for _ in 0..<10 {
                group.addTask { await client.sendExpectingError(["PING"])?.code }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let overloaded = outcomes.filter { $0 == .overloaded }.count
        let succeeded = outcomes.filter { $0 == nil }.count
        #expect(overloaded >= 1)
        #expect(overloaded + succeeded == 10)
        #expect(try await blocker == .null)
        let error = RedisError(.overloaded, "x", address: "a:1")
        #expect(error.isRetriable)
    }

    @Test("cancelling a caller whose command is still queued throws .cancelled")
    func cancellationWhileQueued() async throws {
        let client = TestRedis.client { $0.poolSize = 1 }
        defer { client.shutdown() }
        let key = RedisArgument(TestRedis.key())
        // BLPOP holds the one connection for 5 s (long beside the sleeps, even on a loaded
        // machine), so the PING is still queued when it is cancelled.
        async let blocker = client.send(["BLPOP", key, 5])
        try await Task.sleep(for: .milliseconds(500))
        let waiting = Task { await client.sendExpectingError(["PING"]) }
        try await Task.sleep(for: .milliseconds(300))
        waiting.cancel()
        let error = await waiting.value
        #expect(error?.code == .cancelled)
        #expect(try await blocker == .null)
        #expect(try await client.send(["PING"]) == .status("PONG"))
    }

    @Test("shutdown fails queued and later commands with .closed")
    func shutdownClosesQueue() async throws {
        let client = TestRedis.client { $0.poolSize = 1 }
        let key = RedisArgument(TestRedis.key())
        try await client.connect()
        // BLPOP holds the one connection for 5 s; the PING queues behind it until the shutdown.
        async let blocker = client.send(["BLPOP", key, 5])
        try await Task.sleep(for: .milliseconds(500))
        async let queued = client.sendExpectingError(["PING"])
        try await Task.sleep(for: .milliseconds(300))
        client.shutdown()
        #expect(await queued?.code == .closed)
        // The command already running completes normally.
        #expect(try await blocker == .null)
        let after = await client.sendExpectingError(["PING"])
        #expect(after?.code == .closed)
        #expect(after?.isRetriable == false)
        client.shutdown() // idempotent
    }
}
