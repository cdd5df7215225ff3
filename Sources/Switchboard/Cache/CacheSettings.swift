/// The prompt cache (`cache:` in the config): exact answers in Redis by a hash of everything
/// that shapes the output, optionally a semantic match on the last user turn, and single flight
/// so identical requests in flight together make one provider call.
public struct CacheSettings: Sendable, Decodable {
    /// Off: the completer never reads or writes the cache.
    public var enabled = true
    /// Prefix of the cache's Redis keys.
    public var keyPrefix = "sb:cache:"
    /// TTL of a cached answer for tiers not listed under `tiers`.
    public var ttlS = 3_600
    /// Per tier (the router's tier; `default` when a request was not routed).
    public var tiers: [String: TierCache] = [:]
    public var semantic = SemanticCacheSettings()
    public var singleFlight = SingleFlightSettings()
    /// The gateway also looks up exact answers, when it routes in its own process, for requests
    /// without retrieval that do not stream: a hit is answered there, two Kafka hops and the
    /// completer sooner. Misses go on to the completer, which does the whole lookup.
    public var gatewayLookup = true

    enum CodingKeys: String, CodingKey {
        case enabled, keyPrefix = "key_prefix", ttlS = "ttl_s", tiers, semantic, singleFlight = "single_flight"
        case gatewayLookup = "gateway_lookup"
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? enabled
        keyPrefix = try c.decodeIfPresent(String.self, forKey: .keyPrefix) ?? keyPrefix
        ttlS = try c.decodeIfPresent(Int.self, forKey: .ttlS) ?? ttlS
        tiers = try c.decodeIfPresent([String: TierCache].self, forKey: .tiers) ?? tiers
        semantic = try c.decodeIfPresent(SemanticCacheSettings.self, forKey: .semantic) ?? semantic
        singleFlight = try c.decodeIfPresent(SingleFlightSettings.self, forKey: .singleFlight) ?? singleFlight
        gatewayLookup = try c.decodeIfPresent(Bool.self, forKey: .gatewayLookup) ?? gatewayLookup
    }

    /// The TTL for `tier`, in seconds.
    public func ttlS(tier: String) -> Int {
        tiers[tier]?.ttlS ?? ttlS
    }

    /// Whether a semantic match may serve `tenant` on `tier`: both must have opted in.
    public func semanticEnabled(tenant: String, tier: String) -> Bool {
        guard semantic.enabled else { return false }
        let tierOn = tiers[tier]?.semantic ?? semantic.tiers.contains(where: { $0 == "*" || $0 == tier })
        return tierOn && semantic.tenants.contains(where: { $0 == "*" || $0 == tenant })
    }
}

/// Cache settings of one tier.
public struct TierCache: Sendable, Decodable {
    public var ttlS: Int?
    /// Overrides `semantic.tiers` for this tier.
    public var semantic: Bool?

    enum CodingKeys: String, CodingKey { case ttlS = "ttl_s", semantic }
}

/// The semantic cache: the last user turn embedded (all-MiniLM-L6-v2) and compared with the
/// prompts cached for the same tenant, model, parameters and context.
public struct SemanticCacheSettings: Sendable, Decodable {
    public var enabled = false
    /// Tenants that opted in (`*`: all).
    public var tenants: [String] = []
    /// Tiers that opted in (`*`: all).
    public var tiers: [String] = []
    /// Cosine similarity at or above which a cached prompt may answer. The default is the
    /// one `switchboard eval cache` measured at a false-hit rate under 1% on the shipped set.
    public var threshold = 0.875
    /// Prompts kept per bucket (tenant, model, parameters, context); the oldest go first.
    public var maxEntriesPerBucket = 200
    /// The guards that block a match when numbers, negations or named entities differ.
    public var guards = true

    enum CodingKeys: String, CodingKey {
        case enabled, tenants, tiers, threshold, maxEntriesPerBucket = "max_entries_per_bucket", guards
    }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? enabled
        tenants = try c.decodeIfPresent([String].self, forKey: .tenants) ?? tenants
        tiers = try c.decodeIfPresent([String].self, forKey: .tiers) ?? tiers
        threshold = try c.decodeIfPresent(Double.self, forKey: .threshold) ?? threshold
        maxEntriesPerBucket = try c.decodeIfPresent(Int.self, forKey: .maxEntriesPerBucket) ?? maxEntriesPerBucket
        guards = try c.decodeIfPresent(Bool.self, forKey: .guards) ?? guards
    }
}

/// Identical requests in flight together: one provider call. Within a process the others
/// wait in memory; across processes a short Redis lock elects one caller and the rest poll
/// for its answer, then call themselves if it does not come in time.
public struct SingleFlightSettings: Sendable, Decodable {
    /// Lifetime of the Redis lock: a crashed holder blocks the others at most this long.
    public var lockMs = 30_000
    /// How long a request in another process waits for the holder's answer.
    public var waitMs = 10_000
    public var pollMs = 20

    enum CodingKeys: String, CodingKey { case lockMs = "lock_ms", waitMs = "wait_ms", pollMs = "poll_ms" }

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        lockMs = try c.decodeIfPresent(Int.self, forKey: .lockMs) ?? lockMs
        waitMs = try c.decodeIfPresent(Int.self, forKey: .waitMs) ?? waitMs
        pollMs = try c.decodeIfPresent(Int.self, forKey: .pollMs) ?? pollMs
    }
}
