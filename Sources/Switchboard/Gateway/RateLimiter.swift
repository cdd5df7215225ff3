import Foundation
import Redis

/// Global rate limits and budgets in Redis, shared by every gateway process: per key and per
/// tenant, requests and tokens per minute, requests in flight, and spend per day and per month
/// (UTC). Admission is one atomic Lua script (`admitScript`); the actual usage, once the
/// completer reports it on `llm.usage.v1`, replaces the estimates (`settle`).
public final class RateLimiter: Sendable {
    /// What admission is asked to count for one request.
    public struct Demand: Sendable {
        /// Identifies the admission, so a redelivery counts once and settlement finds it.
        public var requestID: String
        /// Whose limits apply: the key's and its tenant's.
        public var grant: KeyGrant
        /// Estimated tokens: prompt plus the most it may generate.
        public var tokens: Int
        /// Estimated cost at the model's prices, pico-USD.
        public var costPicoUSD: Int64
        /// How long the request may hold an in-flight slot if nothing releases it.
        public var inFlightTTLMs: Int

        public init(requestID: String, grant: KeyGrant, tokens: Int, costPicoUSD: Int64, inFlightTTLMs: Int) {
            self.requestID = requestID
            self.grant = grant
            self.tokens = tokens
            self.costPicoUSD = costPicoUSD
            self.inFlightTTLMs = inFlightTTLMs
        }
    }

    /// One limit the script checks: which counter, its limit, this request's amount.
    struct Check {
        var kind: String
        var key: String
        var limit: String
        var amount: String
        var ttlMs: Int64
        var retryAfterMs: Int64
        var error: ReplyError.Code
        var what: String
    }

    private let redis: RedisClient
    private let prefix: String

    public init(redis: RedisClient, prefix: String = "switchboard") {
        self.redis = redis
        self.prefix = prefix + ":rl"
    }

    /// Admits the request (nil) or says which limit it hits, with `retry_after_ms`.
    /// Throws `RedisError` when Redis cannot answer; the caller applies the failure policy.
    public func admit(_ demand: Demand, nowMs: Int64 = Timestamp.nowMs()) async throws(RedisError) -> ReplyError? {
        let checks = self.checks(for: demand, nowMs: nowMs)
        if checks.isEmpty { return nil }
        var args: [RedisArgument] = [.init(demand.requestID), .init(String(nowMs)), .init(String(demand.inFlightTTLMs + 60_000))]
        for check in checks {
            args += [.init(check.kind), .init(check.key), .init(check.limit), .init(check.amount),
                     .init(String(check.ttlMs)), .init(String(check.retryAfterMs))]
        }
        let reply = try await redis.eval(Self.admitScript, keys: [recordKey(demand.requestID)], args: args)
        guard let values = reply.array, values.first?.int == 0, values.count >= 3,
              let index = values[1].int, index >= 1, index <= checks.count else { return nil }
        let check = checks[index - 1]
        let retryAfter = max(1, values[2].int ?? 1000)
        return ReplyError(check.error, "\(check.what) is reached; retry after \(retryAfter) ms", retryAfterMs: retryAfter)
    }

    /// Replaces the request's estimates with its actual usage and frees its in-flight slot.
    /// Settling twice, or a request that was never admitted, changes nothing.
    @discardableResult
    public func settle(requestID: String, tokens: Int, costPicoUSD: Int64) async throws(RedisError) -> Bool {
        let reply = try await redis.eval(Self.settleScript, keys: [recordKey(requestID)],
                                         args: [.init(String(tokens)), .init(String(costPicoUSD))])
        return reply.int == 1
    }

    func recordKey(_ requestID: String) -> String { "\(prefix):admitted:\(requestID)" }

    /// The checks of both scopes (key first, then tenant) that have a limit set.
    func checks(for demand: Demand, nowMs: Int64) -> [Check] {
        let principal = demand.grant.principal
        let minute = nowMs / 60_000
        let toNextMinute = (minute + 1) * 60_000 - nowMs
        // Calendar arithmetic only when a budget needs it.
        let budgets = [demand.grant.keyScope.limits, demand.grant.tenantScope.limits]
            .contains { $0.dailyBudgetPicoUSD != nil || $0.monthlyBudgetPicoUSD != nil }
        let (day, toNextDay, month, toNextMonth) = budgets ? Self.calendar(nowMs) : ("", 0, "", 0)
        var checks: [Check] = []
        for (scope, id, limits) in [("key", "\(principal.tenant)/\(principal.keyID)", demand.grant.keyScope.limits),
                                    ("tenant", principal.tenant, demand.grant.tenantScope.limits)] {
            let base = "\(prefix):\(scope):\(id)"
            if let rpm = limits.requestsPerMinute {
                checks.append(Check(kind: "requests", key: "\(base):requests:\(minute)", limit: String(rpm), amount: "1", ttlMs: 120_000,
                                    retryAfterMs: toNextMinute, error: .rateLimited, what: "the \(scope)'s limit of \(rpm) requests per minute"))
            }
            if let tpm = limits.tokensPerMinute {
                checks.append(Check(kind: "tokens", key: "\(base):tokens:\(minute)", limit: String(tpm), amount: String(demand.tokens), ttlMs: 120_000,
                                    retryAfterMs: toNextMinute, error: .rateLimited, what: "the \(scope)'s limit of \(tpm) tokens per minute"))
            }
            if let concurrent = limits.maxConcurrent {
                checks.append(Check(kind: "slots", key: "\(base):inflight", limit: String(concurrent), amount: "1",
                                    ttlMs: Int64(demand.inFlightTTLMs), retryAfterMs: 1000, error: .rateLimited,
                                    what: "the \(scope)'s limit of \(concurrent) requests in flight"))
            }
            if let daily = limits.dailyBudgetPicoUSD {
                checks.append(Check(kind: "spend", key: "\(base):spend:day:\(day)", limit: String(daily), amount: String(demand.costPicoUSD),
                                    ttlMs: 2 * 86_400_000, retryAfterMs: toNextDay, error: .budgetExceeded,
                                    what: "the \(scope)'s daily budget of $\(Money.usdString(picoUSD: daily))"))
            }
            if let monthly = limits.monthlyBudgetPicoUSD {
                checks.append(Check(kind: "spend", key: "\(base):spend:month:\(month)", limit: String(monthly), amount: String(demand.costPicoUSD),
                                    ttlMs: 32 * 86_400_000, retryAfterMs: toNextMonth, error: .budgetExceeded,
                                    what: "the \(scope)'s monthly budget of $\(Money.usdString(picoUSD: monthly))"))
            }
        }
        return checks
    }

    /// UTC day and month labels for `nowMs` and the milliseconds until each ends, by calendar
    /// arithmetic (``CivilDate``): admission runs this for every request with a budget.
    static func calendar(_ nowMs: Int64) -> (day: String, toNextDay: Int64, month: String, toNextMonth: Int64) {
        let (days, _) = CivilDate.split(ms: nowMs)
        let (year, month, day) = CivilDate.fromDays(days)
        let nextMonthStart = month == 12 ? CivilDate.days(year: year + 1, month: 1, day: 1) : CivilDate.days(year: year, month: month + 1, day: 1)
        var label: [UInt8] = []
        CivilDate.appendDigits(year, width: 4, to: &label)
        CivilDate.appendDigits(month, width: 2, to: &label)
        let monthLabel = String(decoding: label, as: UTF8.self)
        CivilDate.appendDigits(day, width: 2, to: &label)
        return (String(decoding: label, as: UTF8.self), max(1, (days + 1) * CivilDate.msPerDay - nowMs),
                monthLabel, max(1, nextMonthStart * CivilDate.msPerDay - nowMs))
    }
}
