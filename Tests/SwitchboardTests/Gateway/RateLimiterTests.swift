import Foundation
import Logging
import Redis
import Switchboard
import Testing

/// The limits as Redis enforces them, against the real server of ops/test; every test uses a
/// tenant of its own.
@Suite("Rate limits and budgets in Redis", .serialized, .timeLimit(.minutes(2)))
struct RateLimiterTests {
    static func client() async throws -> RedisClient {
        let url = PipelineHarness.redisURL
        var config = try #require(RedisConfiguration(url: url))
        // Generous: the suites run in parallel on a small machine; only timeout tests time out.
        config.commandTimeout = .seconds(5)
        let client = RedisClient(configuration: config)
        try await client.connect()
        return client
    }

    static func grant(_ limits: Limits, tenantLimits: Limits = Limits()) -> KeyGrant {
        KeyGrant(principal: Principal(tenant: "t-\(UUID().uuidString.prefix(8))", keyID: "k"),
                 keyScope: Scope(limits: limits), tenantScope: Scope(limits: tenantLimits))
    }

    static func demand(_ grant: KeyGrant, tokens: Int = 10, cost: Int64 = 0, id: String = UUID().uuidString) -> RateLimiter.Demand {
        RateLimiter.Demand(requestID: id, grant: grant, tokens: tokens, costPicoUSD: cost, inFlightTTLMs: 60_000)
    }

    @Test("a budget admits a request that lands exactly on it, and rejects at the limit, exactly past 2^53 pico-USD")
    func budgetExactness() async throws {
        let redis = try await Self.client()
        defer { redis.shutdown() }
        let limiter = RateLimiter(redis: redis)
        // 10,000 USD = 10^16 pico-USD: beyond what a double holds exactly.
        let grant = Self.grant(Limits(dailyBudgetPicoUSD: 10_000_000_000_000_000))
        #expect(try await limiter.admit(Self.demand(grant, cost: 9_999_999_999_999_999)) == nil)
        #expect(try await limiter.admit(Self.demand(grant, cost: 2))?.code == .budgetExceeded)
        #expect(try await limiter.admit(Self.demand(grant, cost: 1)) == nil)   // lands exactly on the budget
        let atLimit = try await limiter.admit(Self.demand(grant, cost: 0))       // at the limit: rejected
        #expect(atLimit?.code == .budgetExceeded)
        #expect((atLimit?.retryAfterMs ?? 0) > 0)
    }

    @Test("requests per minute: a rejection carries retry_after_ms within the minute")
    func requestsPerMinute() async throws {
        let redis = try await Self.client()
        defer { redis.shutdown() }
        let limiter = RateLimiter(redis: redis)
        let grant = Self.grant(Limits(requestsPerMinute: 3))
        for _ in 0..<3 { #expect(try await limiter.admit(Self.demand(grant)) == nil) }
        let rejected = try await limiter.admit(Self.demand(grant))
        #expect(rejected?.code == .rateLimited)
        #expect((1...60_000).contains(rejected?.retryAfterMs ?? 0))
    }

    @Test("the same request id admitted twice (a redelivery) counts once")
    func redeliveryCountsOnce() async throws {
        let redis = try await Self.client()
        defer { redis.shutdown() }
        let limiter = RateLimiter(redis: redis)
        let grant = Self.grant(Limits(requestsPerMinute: 1))
        let first = Self.demand(grant)
        #expect(try await limiter.admit(first) == nil)
        #expect(try await limiter.admit(first) == nil)
        #expect(try await limiter.admit(Self.demand(grant))?.code == .rateLimited)
    }

    @Test("in-flight slots are freed by settlement, and estimates are replaced by actual tokens")
    func settlement() async throws {
        let redis = try await Self.client()
        defer { redis.shutdown() }
        let limiter = RateLimiter(redis: redis)
        let grant = Self.grant(Limits(tokensPerMinute: 1000, maxConcurrent: 2))
        let a = Self.demand(grant, tokens: 900)
        #expect(try await limiter.admit(a) == nil)
        #expect(try await limiter.admit(Self.demand(grant, tokens: 200))?.code == .rateLimited)    // tokens
        #expect(try await limiter.admit(Self.demand(grant, tokens: 50)) == nil)
        #expect(try await limiter.admit(Self.demand(grant, tokens: 10))?.code == .rateLimited)     // slots
        #expect(try await limiter.settle(requestID: a.requestID, tokens: 100, costPicoUSD: 0))
        #expect(try await limiter.settle(requestID: a.requestID, tokens: 100, costPicoUSD: 0) == false)
        // 100 + 50 tokens used, one slot free again.
        #expect(try await limiter.admit(Self.demand(grant, tokens: 800)) == nil)
    }

    @Test("key and tenant limits both hold: the tenant's limit spans its keys")
    func tenantSpansKeys() async throws {
        let redis = try await Self.client()
        defer { redis.shutdown() }
        let limiter = RateLimiter(redis: redis)
        let tenant = "t-\(UUID().uuidString.prefix(8))"
        func grant(_ key: String) -> KeyGrant {
            KeyGrant(principal: Principal(tenant: tenant, keyID: key), keyScope: Scope(limits: Limits(requestsPerMinute: 3)),
                     tenantScope: Scope(limits: Limits(requestsPerMinute: 4)))
        }
        var admitted = 0
        for key in ["a", "b"] {
            for _ in 0..<3 where try await limiter.admit(Self.demand(grant(key))) == nil { admitted += 1 }
        }
        #expect(admitted == 4)
    }

    @Test("three clients hammering one limit at once admit exactly the limit in total")
    func sharedLimitUnderContention() async throws {
        let clients = [try await Self.client(), try await Self.client(), try await Self.client()]
        defer { clients.forEach { $0.shutdown() } }
        let grant = Self.grant(Limits(requestsPerMinute: 50))
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for client in clients {
                let limiter = RateLimiter(redis: client)
                for _ in 0..<100 {
                    group.addTask {
                        do { return try await limiter.admit(Self.demand(grant)) == nil } catch { return false }
                    }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(admitted == 50)
    }

    @Test("Redis down: fail open admits, fail closed rejects with retry_after_ms, and the outage is counted")
    func redisDownPolicy() async throws {
        let registry = MetricsBootstrap.registry()
        var config = try #require(RedisConfiguration(url: "redis://127.0.0.1:1"))
        config.commandTimeout = .milliseconds(200)
        let down = RedisClient(configuration: config)
        defer { down.shutdown() }
        let logger = Logger(label: "test")
        let grant = Self.grant(Limits(requestsPerMinute: 1))
        let open = AdmissionControl(limiter: RateLimiter(redis: down), policy: .open, outage: RedisOutage(logger: logger))
        let closed = AdmissionControl(limiter: RateLimiter(redis: down), policy: .closed, outage: RedisOutage(logger: logger))
        #expect(await open.admit(Self.demand(grant)) == nil)
        let rejected = await closed.admit(Self.demand(grant))
        #expect(rejected?.code == .rateLimited && rejected?.retryAfterMs != nil)
        let metrics = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(metrics.contains("switchboard_redis_unavailable_total"))
    }
}
