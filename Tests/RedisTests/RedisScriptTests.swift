import Redis
import Testing

/// Lua scripts through EVALSHA. Serialized because `SCRIPT FLUSH` is server-wide:
/// all script tests live here so that no other test's script vanishes mid-call.
@Suite("Scripts", .serialized, .timeLimit(.minutes(1)))
struct RedisScriptTests {
    let client = TestRedis.client()

    /// Admits a caller only while the counter is below the limit; atomic because
    /// Redis runs a script without interleaving other commands.
    static let admit = RedisScript("""
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        if current < tonumber(ARGV[1]) then
            redis.call('INCR', KEYS[1])
            return 1
        end
        return 0
        """)

    @Test("eval loads the script, caches the server's SHA-1 and returns the reply")
    func evalReturnsReply() async throws {
        let script = RedisScript("return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}")
        let reply = try await client.eval(script, keys: ["k"], args: ["a", 41])
        #expect(reply == .array(["k", "a", .integer(42)]))
        let sha = try #require(script.sha1)
        #expect(sha.count == 40)
        #expect(try await client.send(["SCRIPT", "EXISTS", RedisArgument(sha)]) == .array([.integer(1)]))
    }

    @Test("after SCRIPT FLUSH, EVALSHA gets NOSCRIPT and the client reloads and retries")
    func noscriptRetry() async throws {
        let script = RedisScript("return 'reloaded ' .. ARGV[1]")
        #expect(try await client.eval(script, keys: [], args: ["once"]) == "reloaded once")
        let sha = try #require(script.sha1)

        #expect(try await client.send(["SCRIPT", "FLUSH"]) == .status("OK"))
        #expect(try await client.send(["SCRIPT", "EXISTS", RedisArgument(sha)]) == .array([.integer(0)]))
        // The cached SHA is now unknown to the server: only the retry path can succeed.
        #expect(try await client.eval(script, keys: [], args: ["twice"]) == "reloaded twice")
        #expect(try await client.send(["SCRIPT", "EXISTS", RedisArgument(sha)]) == .array([.integer(1)]))
    }

    @Test("a server error and a script reload inside a shared round trip reach only their own callers")
    func errorsStayWithTheirCaller() async throws {
        let client = TestRedis.client { $0.poolSize = 1 }
        defer { client.shutdown() }
        let script = RedisScript("return ARGV[1]")
        #expect(try await client.eval(script, keys: [], args: ["loaded"]) == .bulk(Array("loaded".utf8)))
        try await TestRedis.withKeys(1, on: client) { keys in
            let key = RedisArgument(keys[0])
            _ = try await client.send(["SET", key, "text"])
            _ = try await client.send(["SCRIPT", "FLUSH"])
            // Holds the only connection while the three calls below queue up behind it.
            async let sleeper = client.send(["BLPOP", RedisArgument(TestRedis.key()), "0.3"])
            try await Task.sleep(for: .milliseconds(100))
            async let wrongType = client.sendExpectingError(["LPUSH", key, "x"])
            async let evaluated = client.eval(script, keys: [], args: ["again"])
            async let read = client.send(["GET", key])
            #expect(await wrongType?.code == .server)
            #expect(try await evaluated == .bulk(Array("again".utf8)))
            #expect(try await read == .bulk(Array("text".utf8)))
            #expect(try await sleeper == .null)
        }
    }

    @Test("load() preloads a script and reports the server's SHA-1")
    func preload() async throws {
        let script = RedisScript("return 7")
        let sha = try await client.load(script)
        #expect(script.sha1 == sha)
        #expect(try await client.send(["EVALSHA", RedisArgument(sha), 0]) == .integer(7))
    }

    @Test("a script error is thrown as a server error")
    func scriptError() async throws {
        let failing = RedisScript("return redis.error_reply('NOPE custom failure')")
        do {
            _ = try await client.eval(failing, keys: [], args: [])
            Issue.record("expected a server error")
        } catch {
            #expect(error.code == .server)
            #expect(error.message.hasPrefix("NOPE custom failure"))
        }
        let broken = RedisScript("this is not lua")
        await #expect(throws: RedisError.self) { try await client.load(broken) }
    }

    @Test("check-and-increment under 200 concurrent calls admits exactly the limit")
    func atomicAdmission() async throws {
        let limit = 50
        try await TestRedis.withKeys(1, on: client) { keys in
            let admitted = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        try await client.eval(Self.admit, keys: keys, args: [RedisArgument(limit)]).int ?? -1
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(admitted == limit)
            #expect(try await client.send(["GET", RedisArgument(keys[0])]).int == limit)
        }
    }
}
