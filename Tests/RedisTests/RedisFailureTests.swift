import Foundation
import Redis
import Testing

/// Failures against the shared test server: nothing listening, timeouts, dropped
/// connections, authentication, and recovery from each.
@Suite("Failures", .timeLimit(.minutes(1)))
struct RedisFailureTests {
    @Test("nothing listening gives a clear, retriable connectionFailed error")
    func connectionRefused() async throws {
        let port = TestRedis.closedPort()
        let client = RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: port, poolSize: 2))
        defer { client.shutdown() }
        do {
            try await client.connect()
            Issue.record("connect() succeeded with nothing listening on \(port)")
        } catch {
            #expect(error.code == .connectionFailed)
            #expect(error.isRetriable)
            #expect(error.address == "127.0.0.1:\(port)")
            #expect(error.description == "redis 127.0.0.1:\(port): connection refused")
        }
        // Every later call fails the same way, without hanging.
        for _ in 0..<5 {
            #expect(await client.sendExpectingError(["PING"])?.code == .connectionFailed)
        }
    }

    @Test("a reply slower than commandTimeout throws .timeout, then the client recovers")
    func timeoutAndRecovery() async throws {
        let client = TestRedis.client {
            $0.poolSize = 1
            $0.commandTimeout = .milliseconds(200)
        }
        defer { client.shutdown() }
        try await client.connect()
        // BLPOP keeps this one connection waiting 1 s, like a stuck server would,
        // without stalling the server for the tests running in parallel.
        let error = await client.sendExpectingError(["BLPOP", RedisArgument(TestRedis.key()), 1])
        #expect(error?.code == .timeout)
        #expect(error?.message == "BLPOP timed out after 200 ms")
        #expect(error?.isRetriable == true)
        // The timed-out connection was dropped: the next command reconnects and
        // cannot read the late BLPOP reply by mistake.
        #expect(try await client.send(["PING"]) == .status("PONG"))
        #expect(try await client.send(["ECHO", "after"]) == "after")
    }

    @Test("a connection the server closed is replaced before the next command")
    func serverClosedConnection() async throws {
        let client = TestRedis.client { $0.poolSize = 1 }
        let admin = TestRedis.client { $0.poolSize = 1 }
        defer { client.shutdown(); admin.shutdown() }
        let before = try #require(try await client.send(["CLIENT", "ID"]).int)
        #expect(try await admin.send(["CLIENT", "KILL", "ID", RedisArgument(before)]) == .integer(1))
        #expect(try await client.send(["PING"]) == .status("PONG"))
        let after = try #require(try await client.send(["CLIENT", "ID"]).int)
        #expect(after != before)
    }

    @Test("AUTH with an ACL user on connect; a wrong password is a clear server error")
    func authentication() async throws {
        let admin = TestRedis.client { $0.poolSize = 1 }
        defer { admin.shutdown() }
        let user = "switchboard-test-\(UUID().uuidString)"
        let password = UUID().uuidString
        let created = try await admin.send(["ACL", "SETUSER", RedisArgument(user), "on", RedisArgument(">" + password), "~*", "+@all"])
        #expect(created == .status("OK"))
        let deleteUser: [RedisArgument] = ["ACL", "DELUSER", RedisArgument(user)]
        do {
            let good = TestRedis.client { $0.username = user; $0.password = password; $0.poolSize = 1 }
            defer { good.shutdown() }
            #expect(try await good.send(["ACL", "WHOAMI"]) == .bulk(Array(user.utf8)))

            let bad = TestRedis.client { $0.username = user; $0.password = "wrong"; $0.poolSize = 1 }
            defer { bad.shutdown() }
            do {
                try await bad.connect()
                Issue.record("connect() succeeded with a wrong password")
            } catch {
                #expect(error.code == .server)
                #expect(error.serverErrorPrefix == "WRONGPASS")
                #expect(error.message.hasSuffix("(during AUTH)"))
                #expect(!error.message.contains("wrong")) // the password is never echoed
            }
        } catch {
            _ = try? await admin.send(deleteUser)
            throw error
        }
        _ = try await admin.send(deleteUser)
    }

    @Test("error descriptions name the address; codes classify retriability")
    func errorShape() {
        let timeout = RedisError(.timeout, "GET timed out after 500 ms", address: "127.0.0.1:6379")
        #expect(timeout.description == "redis 127.0.0.1:6379: GET timed out after 500 ms")
        #expect(timeout.isRetriable)
        #expect(RedisError(.server, "LOADING Redis is loading", address: "h:1").isRetriable)
        #expect(RedisError(.server, "BUSY script running", address: "h:1").isRetriable)
        #expect(!RedisError(.server, "ERR syntax error", address: "h:1").isRetriable)
        #expect(!RedisError(.protocolError, "bad", address: "h:1").isRetriable)
        #expect(!RedisError(.cancelled, "c", address: "h:1").isRetriable)
    }
}
