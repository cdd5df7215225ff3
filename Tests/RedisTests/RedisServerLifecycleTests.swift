import Foundation
import Redis
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Tests that stop, stall or restart a server. They run against a private
/// `redis-server` child process on a free loopback port, so the shared server
/// other tests use is never disturbed. Skipped when `redis-server` is not on PATH.
@Suite(
    "Server lifecycle", .serialized, .timeLimit(.minutes(1)),
    .enabled(if: PrivateRedisServer.executable != nil, "redis-server not found on PATH")
)
struct RedisServerLifecycleTests {
    @Test("a stalled server (DEBUG SLEEP) gives .timeout, not a hang, and the client recovers")
    func stalledServer() async throws {
        let server = try await PrivateRedisServer.start()
        defer { server.stop() }
        let patient = server.client { $0.commandTimeout = .seconds(10) }
        let impatient = server.client { $0.commandTimeout = .milliseconds(200) }
        defer { patient.shutdown(); impatient.shutdown() }
        try await impatient.connect()

        let error = await impatient.sendExpectingError(["DEBUG", "SLEEP", 1])
        #expect(error?.code == .timeout)
        #expect(error?.message == "DEBUG timed out after 200 ms")
        // Waits out the stall (the server is single-threaded), then the impatient
        // client reconnects and succeeds.
        #expect(try await patient.send(["PING"]) == .status("PONG"))
        #expect(try await impatient.send(["PING"]) == .status("PONG"))
    }

    @Test("the server going away fails calls fast; its return makes them succeed again")
    func serverRestart() async throws {
        let server = try await PrivateRedisServer.start()
        defer { server.stop() }
        let client = server.client { $0.poolSize = 2 }
        defer { client.shutdown() }
        let key = RedisArgument(TestRedis.key())
        #expect(try await client.send(["SET", key, "v"]) == .status("OK"))

        // A command in flight when the server dies fails instead of hanging.
        async let inflight = client.sendExpectingError(["DEBUG", "SLEEP", 5])
        try await Task.sleep(for: .milliseconds(200))
        server.stop()
        #expect(await inflight?.code == .connectionFailed)

        for _ in 0..<4 {
            let error = await client.sendExpectingError(["GET", key])
            #expect(error?.code == .connectionFailed)
            #expect(error?.description == "redis \(server.address): connection refused")
        }

        try await server.restart()
        #expect(try await client.send(["PING"]) == .status("PONG"))
        let replies = try await client.pipeline([["SET", key, "back"], ["GET", key]])
        #expect(replies == [.status("OK"), "back"])
    }
}

/// A `redis-server` child process owned by one test; stopped by its own pid.
final class PrivateRedisServer: Sendable {
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":")
            .map { "\($0)/redis-server" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    let port: Int
    private let process = Mutex<Process?>(nil)
    var address: String { "127.0.0.1:\(port)" }

    private init(port: Int) {
        self.port = port
    }

    static func start() async throws -> PrivateRedisServer {
        let server = PrivateRedisServer(port: TestRedis.closedPort())
        try await server.restart()
        return server
    }

    /// Starts the process (again, on the same port) and waits until it answers.
    func restart() async throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: Self.executable!)
        child.arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--enable-debug-command", "yes", "--loglevel", "warning",
        ]
        child.standardOutput = FileHandle.nullDevice
        try child.run()
        process.withLock { $0 = child }
        let probe = client { $0.poolSize = 1; $0.commandTimeout = .seconds(1) }
        defer { probe.shutdown() }
        for _ in 0..<100 {
            if (try? await probe.connect()) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RedisError(.timeout, "private redis-server did not start", address: address)
    }

    /// Kills the child (by its own pid) and waits for it to exit.
    ///
    /// SIGKILL, not SIGTERM: `Process` on Linux starts the child with the signal
    /// mask of the spawning (libdispatch) thread, which blocks SIGTERM, so the
    /// child would never see it. The server keeps no data, so nothing is lost.
    func stop() {
        guard let child = process.withLock({ $0.take() }), child.isRunning else { return }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
    }

    func client(_ adjust: (inout RedisConfiguration) -> Void = { _ in }) -> RedisClient {
        var configuration = RedisConfiguration(host: "127.0.0.1", port: port, connectTimeout: .seconds(2), commandTimeout: .seconds(5))
        adjust(&configuration)
        return RedisClient(configuration: configuration)
    }
}
