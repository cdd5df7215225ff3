import Redis
import Testing

/// Pure value types: no server needed.
@Suite("Values and configuration")
struct RedisValueTests {
    @Test("accessors read the matching reply kinds only")
    func accessors() {
        #expect(RedisValue.bulk(Array("12".utf8)).int == 12)
        #expect(RedisValue.bulk(Array("x".utf8)).int == nil)
        #expect(RedisValue.integer(-3).int == -3)
        #expect(RedisValue.status("OK").string == "OK")
        #expect(RedisValue.bulk([0xFF]).string == nil)
        #expect(RedisValue.bulk([0xFF]).bytes == [0xFF])
        #expect(RedisValue.array([.null]).array == [.null])
        #expect(RedisValue.integer(1).array == nil)
        #expect(RedisValue.error("ERR x").errorMessage == "ERR x")
        #expect(RedisValue.null.isNull)
        #expect(RedisValue.bulk([0xFF]).description == "<1 bytes>")
    }

    @Test("arguments encode to the bytes Redis expects")
    func arguments() {
        #expect(RedisArgument("é").bytes == [0xC3, 0xA9])
        #expect(RedisArgument(-42).bytes == Array("-42".utf8))
        #expect(RedisArgument(1.5).bytes == Array("1.5".utf8))
        #expect(RedisArgument(Double.infinity).bytes == Array("inf".utf8))
        #expect(RedisArgument(bytes: [0, 1]).bytes == [0, 1])
        let literal: RedisArgument = 7
        #expect(literal == RedisArgument(7))
    }

    @Test("defaults are the documented ones")
    func defaults() {
        let configuration = RedisConfiguration()
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 6379)
        #expect(configuration.password == nil)
        #expect(configuration.database == 0)
        #expect(configuration.poolSize == 4)
        #expect(configuration.connectTimeout == .seconds(1))
        #expect(configuration.commandTimeout == .milliseconds(500))
        #expect(configuration.maxPendingCommands == 10_000)
        #expect(configuration.address == "127.0.0.1:6379")
    }

    @Test("redis:// URLs parse into a configuration")
    func urls() throws {
        let plain = try #require(RedisConfiguration(url: "redis://127.0.0.1:6390"))
        #expect(plain.host == "127.0.0.1" && plain.port == 6390 && plain.database == 0 && plain.password == nil)
        let full = try #require(RedisConfiguration(url: "redis://app:s3cret@cache.local:7000/3"))
        #expect(full.username == "app" && full.password == "s3cret")
        #expect(full.host == "cache.local" && full.port == 7000 && full.database == 3)
        let passwordOnly = try #require(RedisConfiguration(url: "redis://:pw@localhost"))
        #expect(passwordOnly.username == nil && passwordOnly.password == "pw" && passwordOnly.port == 6379)
        #expect(RedisConfiguration(url: "http://127.0.0.1:6379") == nil)
        #expect(RedisConfiguration(url: "redis://127.0.0.1:6379/x") == nil)
    }
}
