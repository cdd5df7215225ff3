import Foundation
import Logging
import Redis
import Switchboard
import Testing

@Suite("Keys in Redis", .serialized, .timeLimit(.minutes(1)))
struct KeyRevocationTests {
    @Test("a key created in Redis authenticates with its scope; once revoked it stops working within the cache time")
    func createAndRevoke() async throws {
        let redis = try await RateLimiterTests.client()
        defer { redis.shutdown() }
        let store = RedisKeyStore(redis: redis)
        let tenant = "t-\(UUID().uuidString.prefix(8))"
        var scope = Scope()
        try scope.apply("models=small")
        let (key, stored) = try await store.create(tenant: tenant, id: "k-\(tenant)", scope: scope)
        #expect(stored.sha256 == KeyStore.hash(key))
        // Only the hash is stored.
        let listed = try await store.list().filter { $0.tenant == tenant }
        #expect(listed.count == 1 && !String(decoding: EventCoding.encode(listed), as: UTF8.self).contains(key))

        let directory = KeyDirectory(store: KeyStore(tenants: [], defaultReplyTopic: "llm.results.v1"), redis: redis,
                                     cacheTTL: .milliseconds(300), outage: RedisOutage(logger: Logger(label: "test")))
        let grant = try #require(await directory.authenticate(authorization: "Bearer \(key)"))
        #expect(grant.principal == Principal(tenant: tenant, keyID: stored.id))
        #expect(grant.keyScope.models == ["small"])

        #expect(try await store.revoke(id: stored.id, tenant: tenant).count == 1)
        let deadline = ContinuousClock.now + .seconds(5)
        var stillWorks = true
        while stillWorks && ContinuousClock.now < deadline {
            stillWorks = await directory.authenticate(authorization: "Bearer \(key)") != nil
            if stillWorks { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(!stillWorks)
    }

    @Test("revoking a key listed in the config overrides the config")
    func revokeConfiguredKey() async throws {
        let redis = try await RateLimiterTests.client()
        defer { redis.shutdown() }
        let secret = "sk-sb-config-\(UUID().uuidString)"
        let tenants = [TenantConfig(id: "cfg-\(UUID().uuidString.prefix(8))", keys: [APIKeyConfig(id: "cfg-key-\(UUID().uuidString.prefix(8))", sha256: KeyStore.hash(secret))])]
        let directory = KeyDirectory(store: KeyStore(tenants: tenants, defaultReplyTopic: "r"), redis: redis,
                                     cacheTTL: .zero, outage: RedisOutage(logger: Logger(label: "test")))
        #expect(await directory.authenticate(authorization: "Bearer \(secret)") != nil)
        _ = try await RedisKeyStore(redis: redis).revoke(id: tenants[0].keys[0].id, configured: tenants)
        #expect(await directory.authenticate(authorization: "Bearer \(secret)") == nil)
    }
}
