import Foundation
import Logging
import Redis
import Switchboard
import Testing

/// `switchboard keys create|list|revoke` as an operator runs them, against the Redis of ops/test.
@Suite("switchboard keys", .serialized, .timeLimit(.minutes(1)))
struct KeysCommandTests {
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try ChildPipeline.runBinary(arguments)
    }

    @Test("create prints the key once and stores only its hash; list shows it; revoke ends it")
    func lifecycle() async throws {
        let id = UUID().uuidString.prefix(8).lowercased()
        let configPath = NSTemporaryDirectory() + "switchboard-keys-\(id).yaml"
        try #"redis: {url: "\#(PipelineHarness.redisURL)", key_prefix: "keys-\#(id)"}"#.write(toFile: configPath, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: configPath) }

        let created = try run(["keys", "create", "--tenant", "acme", "--id", "k-\(id)", "--scope", "rpm=5", "--scope", "models=small", "--config", configPath])
        #expect(created.status == 0, "\(created.output)")
        let key = try #require(created.output.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("sk-sb-") }.map(String.init))

        let redis = try await RateLimiterTests.client()
        defer { redis.shutdown() }
        let stored = try await redis.send(["GET", .init(StoredKey.redisKey(hash: KeyStore.hash(key), prefix: "keys-\(id)"))])
        let text = try #require(stored.string)
        #expect(!text.contains(key))
        let record = try EventCoding.decode(StoredKey.self, from: Array(text.utf8))
        #expect(record.tenant == "acme" && record.scope.limits.requestsPerMinute == 5 && record.scope.models == ["small"])

        let listed = try run(["keys", "list", "--config", configPath])
        #expect(listed.output.contains("k-\(id)") && listed.output.contains("active") && !listed.output.contains(key))

        #expect(try run(["keys", "revoke", "k-\(id)", "--config", configPath]).status == 0)
        #expect(try run(["keys", "list", "--config", configPath]).output.contains("revoked"))
        #expect(try run(["keys", "revoke", "no-such-key", "--config", configPath]).status != 0)
        #expect(try run(["keys", "create", "--tenant", "acme", "--scope", "rpm=many", "--config", configPath]).status != 0)
    }
}
