import Foundation
import Redis
import Testing

/// Single commands against the real server: encoding of arguments and decoding
/// of every reply type.
@Suite("Commands", .timeLimit(.minutes(1)))
struct RedisCommandTests {
    let client = TestRedis.client()

    @Test("binary values survive a round trip, including NUL and non-UTF-8 bytes")
    func binaryRoundTrip() async throws {
        try await TestRedis.withKeys(1, on: client) { keys in
            let value: [UInt8] = [0x00, 0xFF, 0xFE, 0x00, 0x80, 0xC3, 0x28] + (0...255).map { UInt8($0) }
            #expect(try await client.send(["SET", RedisArgument(keys[0]), RedisArgument(bytes: value)]) == .status("OK"))
            let reply = try await client.send(["GET", RedisArgument(keys[0])])
            #expect(reply == .bulk(value))
            #expect(reply.bytes == value)
            #expect(reply.string == nil) // not valid UTF-8
            #expect(try await client.send(["STRLEN", RedisArgument(keys[0])]) == .integer(value.count))
        }
    }

    @Test("binary keys and empty values are sent exactly")
    func binaryKeyAndEmptyValue() async throws {
        let key = RedisArgument(bytes: Array(TestRedis.key().utf8) + [0x00, 0xFF])
        #expect(try await client.send(["SET", key, ""]) == .status("OK"))
        #expect(try await client.send(["GET", key]) == .bulk([]))
        #expect(try await client.send(["DEL", key]) == .integer(1))
    }

    @Test("integer and float arguments and integer replies")
    func integers() async throws {
        try await TestRedis.withKeys(2, on: client) { keys in
            #expect(try await client.send(["INCRBY", RedisArgument(keys[0]), RedisArgument(-42)]) == .integer(-42))
            #expect(try await client.send(["INCRBY", RedisArgument(keys[0]), 50]).int == 8)
            #expect(try await client.send(["GET", RedisArgument(keys[0])]).int == 8)
            let big = try await client.send(["INCRBY", RedisArgument(keys[1]), RedisArgument(Int.max)])
            #expect(big == .integer(Int.max))
            let float = try await client.send(["INCRBYFLOAT", RedisArgument(keys[0]), RedisArgument(1.5)])
            #expect(float.string == "9.5")
        }
    }

    @Test("array replies, nested arrays and nil inside arrays")
    func arrays() async throws {
        try await TestRedis.withKeys(2, on: client) { keys in
            let list = RedisArgument(keys[0])
            #expect(try await client.send(["RPUSH", list, "a", "b", "c"]) == .integer(3))
            #expect(try await client.send(["LRANGE", list, 0, -1]) == .array(["a", "b", "c"]))
            let mget = try await client.send(["MGET", list, RedisArgument(keys[1])])
            // MGET of a list key yields nil, as does the missing key.
            #expect(mget == .array([.null, .null]))
            #expect(try await client.send(["LRANGE", RedisArgument(keys[1]), 0, -1]) == .array([]))
            let nested = try await client.send(["EVAL", "return {1, {'x', {2}}, 'y'}", 0])
            #expect(nested == .array([.integer(1), .array(["x", .array([.integer(2)])]), "y"]))
            #expect(nested.array?.count == 3)
        }
    }

    @Test("a missing key reads as nil")
    func nullReply() async throws {
        let reply = try await client.send(["GET", RedisArgument(TestRedis.key())])
        #expect(reply == .null)
        #expect(reply.isNull)
        #expect(reply.string == nil)
    }

    @Test("status replies")
    func statusReply() async throws {
        let pong = try await client.send(["PING"])
        #expect(pong == .status("PONG"))
        #expect(pong.string == "PONG")
        #expect(try await client.send(["ECHO", "hi"]) == "hi")
    }

    @Test("a server error reply is thrown with the server's message")
    func serverErrorThrown() async throws {
        try await TestRedis.withKeys(1, on: client) { keys in
            _ = try await client.send(["SET", RedisArgument(keys[0]), "not a number"])
            let error = await client.sendExpectingError(["INCR", RedisArgument(keys[0])])
            #expect(error?.code == .server)
            #expect(error?.message == "ERR value is not an integer or out of range")
            #expect(error?.serverErrorPrefix == "ERR")
            #expect(error?.isRetriable == false)
            #expect(error?.address == TestRedis.configuration.address)
            #expect(error?.file.hasSuffix("RedisTestSupport.swift") == true) // the call site
            let wrongType = await client.sendExpectingError(["LPUSH", RedisArgument(keys[0]), "x"])
            #expect(wrongType?.serverErrorPrefix == "WRONGTYPE")
        }
        let unknown = await client.sendExpectingError(["NO-SUCH-COMMAND"])
        #expect(unknown?.code == .server)
        #expect(unknown?.message.contains("unknown command") == true)
    }

    @Test("an empty command is rejected locally")
    func emptyCommand() async throws {
        let error = await client.sendExpectingError([])
        #expect(error?.code == .protocolError)
        #expect(try await client.send(["PING"]) == .status("PONG")) // connection still fine
    }

    @Test("SELECT on connect uses the configured database")
    func selectDatabase() async throws {
        let other = TestRedis.client { $0.database = 1 }
        defer { other.shutdown() }
        let key = RedisArgument(TestRedis.key())
        _ = try await other.send(["SET", key, "in db 1"])
        #expect(try await client.send(["GET", key]) == .null)
        #expect(try await other.send(["GET", key]) == "in db 1")
        _ = try await other.send(["DEL", key])
    }
}
