import Embeddings
import Foundation
import Logging
import Redis

/// The prompt cache in front of the provider call. A request is looked up by its exact key
/// (one Redis script: the answer, or else the single-flight lock); on a miss, for tenants and
/// tiers that opted in, by the meaning of its last user turn; and otherwise the caller leads:
/// it calls the provider and settles, which stores a successful answer and wakes whoever
/// waited. Redis failing never fails a request: the cache is bypassed, logged and counted.
public final class PromptCache: Sendable {
    let redis: RedisClient
    let settings: CacheSettings
    let embedder: (any TextEmbedder)?
    let flights = SingleFlight()
    /// Written into locks so a process only ever releases its own.
    let owner = UUID().uuidString
    let logger: Logger

    /// - Parameter embedder: embeds last user turns for the semantic cache; nil turns it off.
    public init(redis: RedisClient, settings: CacheSettings, embedder: (any TextEmbedder)? = nil, logger: Logger) {
        self.redis = redis
        self.settings = settings
        self.embedder = embedder
        self.logger = logger
    }

    /// The answer if there is one, else GET-or-lock: the answer, or take the lock (`lock`), or
    /// somebody else holds it (`busy`).
    static let lookupScript = RedisScript("""
    local answer = redis.call('GET', KEYS[1])
    if answer then return {'hit', answer} end
    if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'lock'} end
    return {'busy'}
    """)

    /// Stores the answer (and its semantic entry, the bucket trimmed to its bound and kept as
    /// long as the answer), then releases the lock if this process holds it.
    static let storeScript = RedisScript("""
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    if ARGV[4] ~= '' then
      redis.call('LPUSH', KEYS[3], ARGV[4])
      redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]) - 1)
      redis.call('PEXPIRE', KEYS[3], ARGV[2])
    end
    if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
    return 1
    """)

    static let releaseScript = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
    return 0
    """)

    /// Whether and how `task` may use the cache; nil means bypass (counted as such, unless
    /// `counting` is off: a gateway's look ahead, which the completer counts after it).
    public func plan(for task: CompletionTask, model: String, counting: Bool = true) -> CachePlan? {
        let tier = task.route?.tier ?? "default"
        let mode = task.request.cache?.mode ?? .default
        // Only a deterministic request repeats its answer; a sampled one only if the caller asks.
        let cacheable = settings.enabled && mode != .off && (mode == .on || task.request.temperature == 0)
        guard cacheable else {
            if counting { CacheMetrics.lookup(tier: tier, outcome: .bypass) }
            return nil
        }
        let tierTTL = settings.ttlS(tier: tier)
        let ttlS = min(task.request.cache?.ttlS ?? tierTTL, tierTTL)
        return CachePlan(key: CacheKey(task: task, model: model), tenant: task.principal.tenant, tier: tier, ttlMs: max(1, ttlS) * 1000,
                         semantic: embedder != nil && settings.semanticEnabled(tenant: task.principal.tenant, tier: tier))
    }

    func answerKey(_ plan: CachePlan, exact: String) -> String { settings.keyPrefix + plan.tenant + ":a:" + exact }
    func lockKey(_ plan: CachePlan) -> String { settings.keyPrefix + plan.tenant + ":l:" + plan.key.exact }
    func bucketKey(_ plan: CachePlan) -> String { settings.keyPrefix + plan.tenant + ":s:" + plan.key.bucket }

    /// A hit, or the lead: then call the provider and `settle`.
    public func lookup(_ plan: CachePlan) async -> CacheLookup {
        let flight = settings.singleFlight
        let giveUp = ContinuousClock.now + .milliseconds(flight.waitMs)
        var semanticDone = !plan.semantic
        var embedding: [Float]?
        var counted = false
        while true {
            let reply: RedisValue
            do {
                reply = try await redis.eval(Self.lookupScript, keys: [answerKey(plan, exact: plan.key.exact), lockKey(plan)],
                                             args: [RedisArgument(owner), RedisArgument(flight.lockMs)])
            } catch {
                failed("lookup", error)
                return leading(CacheLead(plan: plan, lockHeld: false, localLeader: false, embedding: nil, degraded: true))
            }
            let parts = reply.array ?? []
            let state = parts.first?.string
            if state == "hit" {
                if let bytes = parts.dropFirst().first?.bytes, let answer = try? EventCoding.decode(CachedAnswer.self, from: bytes) {
                    return .hit(served(answer, plan: plan, outcome: .hit))
                }
                logger.warning("a cached answer could not be read; answering again", metadata: ["tier": "\(plan.tier)"])
                return leading(CacheLead(plan: plan, lockHeld: false, localLeader: false, embedding: nil, degraded: false))
            }
            if !semanticDone {
                semanticDone = true
                let (hit, vector) = await semanticLookup(plan)
                embedding = vector
                if let hit {
                    if state == "lock" { await release(plan) }
                    return .hit(hit)
                }
            }
            if state == "lock" {
                let local = await flights.lead(plan.key.exact)
                return leading(CacheLead(plan: plan, lockHeld: true, localLeader: local, embedding: embedding, degraded: false))
            }
            // Busy: an identical request is being answered; wait for it, within bounds.
            let now = ContinuousClock.now
            guard now < giveUp else {
                let local = await flights.lead(plan.key.exact)
                return leading(CacheLead(plan: plan, lockHeld: false, localLeader: local, embedding: embedding, degraded: false))
            }
            if await flights.isLeading(plan.key.exact) {
                if !counted { CacheMetrics.waited(scope: "process") }
                counted = true
                if let answer = await flights.wait(plan.key.exact, timeout: giveUp - now) {
                    return .hit(served(answer, plan: plan, outcome: .hit))
                }
                continue
            }
            if !counted { CacheMetrics.waited(scope: "redis") }
            counted = true
            try? await Task.sleep(for: .milliseconds(flight.pollMs))
        }
    }

    /// The exact answer if one is stored: one GET, no lock, no semantic match, and nothing
    /// counted on a miss (the completer looks the request up in full and counts it then).
    public func peek(_ plan: CachePlan) async -> CacheHit? {
        do {
            guard let bytes = try await redis.send(["GET", .init(answerKey(plan, exact: plan.key.exact))]).bytes,
                  let answer = try? EventCoding.decode(CachedAnswer.self, from: bytes) else { return nil }
            return served(answer, plan: plan, outcome: .hit)
        } catch {
            failed("peek", error)
            return nil
        }
    }

    /// After the provider call: a successful answer is stored (never an error), the lock
    /// released, and this process's waiters get the answer (or nil, and try again).
    public func settle(_ lead: CacheLead, answer: CachedAnswer?) async {
        let plan = lead.plan
        if !lead.degraded {
            do {
                if let answer {
                    var entry: [UInt8] = []
                    if let vector = lead.embedding, let prompt = plan.key.lastUserTurn {
                        entry = SemanticEntry(exactKey: plan.key.exact, prompt: prompt, indexVersion: plan.key.indexVersion, embedding: vector).encoded()
                    }
                    _ = try await redis.eval(Self.storeScript, keys: [answerKey(plan, exact: plan.key.exact), lockKey(plan), bucketKey(plan)],
                                             args: [RedisArgument(bytes: EventCoding.encode(answer)), RedisArgument(plan.ttlMs), RedisArgument(owner),
                                                    RedisArgument(bytes: entry), RedisArgument(max(1, settings.semantic.maxEntriesPerBucket))])
                } else if lead.lockHeld {
                    _ = try await redis.eval(Self.releaseScript, keys: [lockKey(plan)], args: [RedisArgument(owner)])
                }
            } catch {
                failed("store", error)
            }
        }
        if lead.localLeader { await flights.finish(plan.key.exact, answer: answer) }
    }

    /// Counts the miss (or the bypass, when Redis failed) of a request that calls the provider.
    private func leading(_ lead: CacheLead) -> CacheLookup {
        CacheMetrics.lookup(tier: lead.plan.tier, outcome: lead.degraded ? .bypass : .miss)
        return .lead(lead)
    }

    private func release(_ plan: CachePlan) async {
        do {
            _ = try await redis.eval(Self.releaseScript, keys: [lockKey(plan)], args: [RedisArgument(owner)])
        } catch {
            failed("release", error)
        }
    }

    func served(_ answer: CachedAnswer, plan: CachePlan, outcome: CacheInfo.Outcome, similarity: Double? = nil) -> CacheHit {
        CacheMetrics.lookup(tier: plan.tier, outcome: outcome)
        CacheMetrics.saved(tier: plan.tier, picoUSD: answer.costPicoUSD)
        return CacheHit(answer: answer, info: CacheInfo(outcome: outcome, savedCostPicoUSD: answer.costPicoUSD, similarity: similarity))
    }

    func failed(_ operation: String, _ error: any Error) {
        CacheMetrics.redisFailure(operation: operation)
        logger.warning("prompt cache bypassed: redis failed", metadata: ["operation": "\(operation)", "error": "\(error)"])
    }
}

/// How a request may use the cache.
public struct CachePlan: Sendable {
    public var key: CacheKey
    public var tenant: String
    public var tier: String
    public var ttlMs: Int
    /// Whether a semantic match may serve it (tenant and tier opted in).
    public var semantic: Bool
}

/// The result of a lookup.
public enum CacheLookup: Sendable {
    case hit(CacheHit)
    /// Call the provider, then `settle` this.
    case lead(CacheLead)
}

/// A request that calls the provider itself, and what settling it must undo or store.
public struct CacheLead: Sendable {
    public var plan: CachePlan
    var lockHeld: Bool
    var localLeader: Bool
    var embedding: [Float]?
    /// Redis failed: neither store nor release.
    var degraded: Bool
}
