import Redis
import Testing

/// Pipelines: one round trip, replies in order, per-command errors as values.
@Suite("Pipeline", .timeLimit(.minutes(1)))
struct RedisPipelineTests {
    let client = TestRedis.client()

    @Test("100 pipelined commands return 100 replies in order")
    func hundredInOrder() async throws {
        try await TestRedis.withKeys(1, on: client) { keys in
            let key = RedisArgument(keys[0])
            let commands: [[RedisArgument]] = (1...100).map { _ in ["INCR", key] }
            let replies = try await client.pipeline(commands)
            #expect(replies.count == 100)
            #expect(replies == (1...100).map { RedisValue.integer($0) })
        }
    }

    @Test("mixed commands keep their order and types")
    func mixed() async throws {
        try await TestRedis.withKeys(2, on: client) { keys in
            let replies = try await client.pipeline([
                ["SET", RedisArgument(keys[0]), RedisArgument(bytes: [0, 1, 2])],
                ["GET", RedisArgument(keys[0])],
                ["GET", RedisArgument(keys[1])],
                ["RPUSH", RedisArgument(keys[1]), "x", "y"],
                ["LRANGE", RedisArgument(keys[1]), 0, -1],
            ])
            #expect(replies == [.status("OK"), .bulk([0, 1, 2]), .null, .integer(2), .array(["x", "y"])])
        }
    }

    @Test("a server error inside a pipeline is returned in place, not thrown")
    func errorsAsValues() async throws {
        try await TestRedis.withKeys(1, on: client) { keys in
            let key = RedisArgument(keys[0])
            let replies = try await client.pipeline([
                ["SET", key, "text"],
                ["INCR", key],
                ["GET", key],
            ])
            #expect(replies.count == 3)
            #expect(replies[0] == .status("OK"))
            #expect(replies[1].errorMessage?.hasPrefix("ERR") == true)
            #expect(replies[2] == "text")
        }
    }

    @Test("an empty pipeline returns no replies")
    func empty() async throws {
        #expect(try await client.pipeline([]).isEmpty)
    }

    @Test("an empty command fails the pipeline locally before anything is sent")
    func emptyCommandRejected() async throws {
        let client = TestRedis.client { $0.poolSize = 1 }
        defer { client.shutdown() }
        do {
            _ = try await client.pipeline([["ECHO", "never sent"], []])
            Issue.record("expected the empty command to be rejected")
        } catch {
            #expect(error.code == .protocolError)
        }
        // Had "ECHO never sent" stayed buffered, this would read its reply instead.
        #expect(try await client.send(["ECHO", "next"]) == "next")
    }
}
