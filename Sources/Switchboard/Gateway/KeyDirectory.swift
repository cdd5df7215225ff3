import Foundation
import Logging
import Redis
import Synchronization

/// A key kept in Redis (`switchboard keys create`): only its SHA-256, never the secret.
public struct StoredKey: Sendable, Codable, Equatable {
    /// The key id for logs and usage.
    public var id: String
    public var tenant: String
    /// Hex SHA-256 of the secret.
    public var sha256: String
    public var scope: Scope
    /// Creation time, epoch milliseconds.
    public var createdMs: Int64
    /// Set once the key is revoked; a revoked record also overrides a key listed in the config.
    public var revokedMs: Int64?

    enum CodingKeys: String, CodingKey {
        case id, tenant, sha256, scope, createdMs = "created_ms", revokedMs = "revoked_ms"
    }

    public init(id: String, tenant: String, sha256: String, scope: Scope, createdMs: Int64 = Timestamp.nowMs(), revokedMs: Int64? = nil) {
        self.id = id
        self.tenant = tenant
        self.sha256 = sha256
        self.scope = scope
        self.createdMs = createdMs
        self.revokedMs = revokedMs
    }

    /// The Redis key holding the record of the key whose SHA-256 is `hash`.
    public static func redisKey(hash: String, prefix: String) -> String { "\(prefix):apikey:\(hash)" }
    /// The Redis set of every stored key's hash, for `keys list`.
    public static func indexKey(prefix: String) -> String { "\(prefix):apikeys" }
}

/// Authenticates API keys against the config and, when enabled, the Redis key store. A lookup
/// is cached for `gateway.key_cache_ms`, so a key revoked in Redis stops working within that
/// time on every gateway process, without a Redis round trip per request.
public final class KeyDirectory: Sendable {
    private struct Entry {
        var grant: KeyGrant?
        var expires: ContinuousClock.Instant
    }

    /// The keys of the config file.
    public let store: KeyStore
    private let redis: RedisClient?
    private let prefix: String
    private let cacheTTL: Duration
    private let cache = Mutex<[String: Entry]>([:])
    private let outage: RedisOutage

    public init(store: KeyStore, redis: RedisClient?, prefix: String = "switchboard", cacheTTL: Duration, outage: RedisOutage) {
        self.store = store
        self.redis = redis
        self.prefix = prefix
        self.cacheTTL = cacheTTL
        self.outage = outage
    }

    /// The gateway's directory as `config` sets it: the config's keys, and those in `redis`
    /// (cached `gateway.key_cache_ms`) when `gateway.keys_in_redis`.
    public convenience init(config: SwitchboardConfig, redis: RedisClient?, outage: RedisOutage) {
        self.init(store: KeyStore(tenants: config.tenants, defaultReplyTopic: config.topics.results),
                  redis: config.gateway.keysInRedis ? redis : nil, prefix: config.redis.keyPrefix,
                  cacheTTL: .milliseconds(config.gateway.keyCacheMs), outage: outage)
    }

    /// The grant for an `Authorization` header value, or nil (missing, malformed, unknown or revoked).
    public func authenticate(authorization: String?) async -> KeyGrant? {
        guard let token = KeyStore.bearerToken(authorization) else { return nil }
        let hash = KeyStore.hash(token)
        guard let redis else { return store.grant(hash: hash) }
        let now = ContinuousClock.now
        let cached = cache.withLock { $0[hash] }
        if let cached, cached.expires > now { return cached.grant }
        let grant: KeyGrant?
        do {
            let reply = try await redis.send(["GET", .init(StoredKey.redisKey(hash: hash, prefix: prefix))])
            if let bytes = reply.bytes, let stored = try? EventCoding.decode(StoredKey.self, from: bytes) {
                grant = stored.revokedMs == nil ? store.grant(tenant: stored.tenant, keyID: stored.id, keyScope: stored.scope) : nil
            } else {
                grant = store.grant(hash: hash)
            }
        } catch {
            // Keys from the config keep working; a Redis key keeps its last known state.
            outage.record(error, use: "keys")
            return cached?.grant ?? store.grant(hash: hash)
        }
        cache.withLock { entries in
            // Bounded: garbage keys must not grow the cache without limit.
            if entries.count > 100_000 { entries.removeAll() }
            entries[hash] = Entry(grant: grant, expires: now + cacheTTL)
        }
        return grant
    }
}

/// Counts Redis failures and logs them at most once per interval, so an outage is visible
/// without flooding the log.
public final class RedisOutage: Sendable {
    private let logger: Logger
    private let interval: Duration
    private let lastLogged = Mutex<ContinuousClock.Instant?>(nil)

    public init(logger: Logger, interval: Duration = .seconds(10)) {
        self.logger = logger
        self.interval = interval
    }

    /// Counts one failure in `switchboard_redis_unavailable_total{use}` and logs if due.
    public func record(_ error: any Error, use: String, policy: String? = nil) {
        GatewayMetrics.redisUnavailable(use: use)
        let now = ContinuousClock.now
        let due = lastLogged.withLock { last -> Bool in
            if let last, now - last < interval { return false }
            last = now
            return true
        }
        if due {
            var metadata: Logger.Metadata = ["use": "\(use)", "error": "\(error)"]
            if let policy { metadata["policy"] = "\(policy)" }
            logger.error("redis unavailable", metadata: metadata)
        }
    }
}
