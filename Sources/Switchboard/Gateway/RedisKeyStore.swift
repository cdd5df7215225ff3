import Foundation
import Redis

/// The API keys kept in Redis: created, listed and revoked by `switchboard keys`, read by
/// every gateway and ingress through `KeyDirectory`. Only the SHA-256 of a key is stored.
public struct RedisKeyStore: Sendable {
    private let redis: RedisClient
    private let prefix: String

    public init(redis: RedisClient, prefix: String = "switchboard") {
        self.redis = redis
        self.prefix = prefix
    }

    /// Creates a key for `tenant`; returns the secret (to show once) and what was stored.
    public func create(tenant: String, id: String? = nil, scope: Scope) async throws(RedisError) -> (key: String, stored: StoredKey) {
        let key = KeyStore.generateKey()
        let hash = KeyStore.hash(key)
        let stored = StoredKey(id: id ?? "key-\(hash.prefix(12))", tenant: tenant, sha256: hash, scope: scope)
        try await save(stored)
        return (key, stored)
    }

    /// Every key in the store, revoked ones included, oldest first.
    public func list() async throws(RedisError) -> [StoredKey] {
        let hashes = try await redis.send(["SMEMBERS", .init(StoredKey.indexKey(prefix: prefix))]).array?.compactMap(\.string) ?? []
        if hashes.isEmpty { return [] }
        let values = try await redis.send([RedisArgument("MGET")] + hashes.map { RedisArgument(StoredKey.redisKey(hash: $0, prefix: prefix)) })
        return (values.array ?? []).compactMap { $0.bytes.flatMap { try? EventCoding.decode(StoredKey.self, from: $0) } }
            .sorted { ($0.createdMs, $0.id) < ($1.createdMs, $1.id) }
    }

    /// Revokes the key with id `id` (of `tenant`, when given), whether it was created in Redis
    /// or is listed in the config (`configured`): a revoked record overrides the config.
    /// Returns the revoked keys; empty when no key has that id.
    public func revoke(id: String, tenant: String? = nil, configured: [TenantConfig] = []) async throws(RedisError) -> [StoredKey] {
        var matches = try await list().filter { $0.id == id && (tenant == nil || $0.tenant == tenant) }
        let known = Set(matches.map(\.sha256))
        for config in configured where tenant == nil || config.id == tenant {
            for key in config.keys where key.id == id && !known.contains(key.sha256.lowercased()) {
                matches.append(StoredKey(id: key.id, tenant: config.id, sha256: key.sha256.lowercased(), scope: key.scope))
            }
        }
        let now = Timestamp.nowMs()
        for index in matches.indices where matches[index].revokedMs == nil {
            matches[index].revokedMs = now
            try await save(matches[index])
        }
        return matches
    }

    private func save(_ stored: StoredKey) async throws(RedisError) {
        let value = RedisArgument(bytes: EventCoding.encode(stored))
        _ = try await redis.pipeline([
            ["SET", .init(StoredKey.redisKey(hash: stored.sha256, prefix: prefix)), value],
            ["SADD", .init(StoredKey.indexKey(prefix: prefix)), .init(stored.sha256)],
        ])
    }
}

extension Scope {
    /// Parses `name=value` settings as `keys create --scope` takes them: `models=a,b`,
    /// `collections=x,y`, `rpm=N`, `tpm=N`, `concurrent=N`, `daily_usd=D`, `monthly_usd=D`
    /// (the config's long names work too). Throws a message naming the bad setting.
    public mutating func apply(_ setting: String) throws(ConfigError) {
        let parts = setting.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[1].isEmpty else {
            throw ConfigError(key: "--scope", message: "'\(setting)' is not name=value")
        }
        let (name, value) = (parts[0], parts[1])
        func count() throws(ConfigError) -> Int {
            guard let n = Int(value), n >= 0 else { throw ConfigError(key: "--scope \(name)", message: "'\(value)' is not a whole number") }
            return n
        }
        func usd() throws(ConfigError) -> Int64 {
            guard let pico = Money.picoUSD(parsing: value) else { throw ConfigError(key: "--scope \(name)", message: "'\(value)' is not an amount in USD") }
            return pico
        }
        switch name {
        case "models": models = value.split(separator: ",").map(String.init)
        case "collections": collections = value.split(separator: ",").map(String.init)
        case "rpm", "requests_per_minute": limits.requestsPerMinute = try count()
        case "tpm", "tokens_per_minute": limits.tokensPerMinute = try count()
        case "concurrent", "max_concurrent": limits.maxConcurrent = try count()
        case "daily_usd", "daily_budget_usd": limits.dailyBudgetPicoUSD = try usd()
        case "monthly_usd", "monthly_budget_usd": limits.monthlyBudgetPicoUSD = try usd()
        default:
            throw ConfigError(key: "--scope", message: "unknown setting '\(name)' (models, collections, rpm, tpm, concurrent, daily_usd, monthly_usd)")
        }
    }
}
