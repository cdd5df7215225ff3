import Foundation
import Redis
#if canImport(Glibc)
import Glibc
#endif

/// Shared helpers: where the test server is, unique keys, and a closed port.
enum TestRedis {
    /// The server under test, from `REDIS_URL` (`redis://127.0.0.1:6379` by default).
    ///
    /// Timeouts are generous on purpose: tests run in parallel on a small shared
    /// machine, and only the timeout tests themselves should ever time out.
    static let configuration: RedisConfiguration = {
        let url = ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379"
        guard var configuration = RedisConfiguration(url: url) else {
            fatalError("REDIS_URL is not a redis:// URL: \(url)")
        }
        configuration.connectTimeout = .seconds(5)
        configuration.commandTimeout = .seconds(10)
        return configuration
    }()

    /// A client for the test server, with `adjust` applied to its configuration.
    static func client(_ adjust: (inout RedisConfiguration) -> Void = { _ in }) -> RedisClient {
        var configuration = self.configuration
        adjust(&configuration)
        return RedisClient(configuration: configuration)
    }

    /// A key no other test (or earlier run) uses.
    static func key(_ name: String = #function) -> String {
        let label = name.prefix { $0.isLetter || $0.isNumber }
        return "switchboard:test:\(label):\(UUID().uuidString)"
    }

    /// Runs `body` with `count` fresh keys and deletes them afterwards, also when
    /// `body` throws.
    static func withKeys<R>(
        _ count: Int, on client: RedisClient, name: String = #function,
        _ body: ([String]) async throws -> R
    ) async throws -> R {
        let keys = (0..<count).map { _ in key(name) }
        let deleteCommand = ["DEL"] + keys.map { RedisArgument($0) }
        do {
            let result = try await body(keys)
            _ = try await client.send(deleteCommand)
            return result
        } catch {
            _ = try? await client.send(deleteCommand)
            throw error
        }
    }

    /// A loopback TCP port that nothing listens on: bound to an ephemeral port by
    /// the kernel, then released.
    static func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket() failed")
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        precondition(bound, "bind() failed")
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension RedisClient {
    /// `send` for tests that want a thrown error as a value.
    func sendExpectingError(_ arguments: [RedisArgument]) async -> RedisError? {
        do {
            _ = try await send(arguments)
            return nil
        } catch {
            return error
        }
    }
}
