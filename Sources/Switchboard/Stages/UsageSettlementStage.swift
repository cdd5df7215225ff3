import Kafka
import Logging
import Redis

/// Closes the books on each request once the pipeline answered it: reads `llm.usage.v1`,
/// replaces the gateway's token and cost estimates with the actual usage, frees the request's
/// in-flight slot, and writes the end-of-pipeline log line (request id, tenant, key id, stage,
/// outcome, error code, latency). Runs in the gateway process, as its own consumer group.
public struct UsageSettlementStage: Stage {
    public let name = "settlement"
    public let inputTopics: [String]
    private let limiter: RateLimiter
    private let outage: RedisOutage
    private let logger: Logger

    public init(config: SwitchboardConfig, redis: RedisClient, logger: Logger) {
        inputTopics = [config.topics.usage]
        limiter = RateLimiter(redis: redis, prefix: config.redis.keyPrefix)
        outage = RedisOutage(logger: logger)
        self.logger = logger
    }

    public func process(_ record: KafkaRecord) async -> StageResult {
        guard let value = record.value, let event = try? EventCoding.decode(UsageEvent.self, from: value) else {
            return StageResult(deadLetter: DeadLetterReason(code: "schema", detail: "not a usage event"))
        }
        // The gateway's own rejections were never admitted and were logged there; what it
        // answered from the cache was admitted and is settled like any answer.
        guard event.stage != "gateway" || event.cache == .hit else { return StageResult() }
        do {
            try await limiter.settle(requestID: event.requestID, tokens: event.inputTokens + event.outputTokens,
                                     costPicoUSD: event.costPicoUSD)
        } catch {
            // The in-flight slot then expires by its TTL; the estimate stays counted.
            outage.record(error, use: "settlement")
        }
        logger.info("request", metadata: [
            "request_id": "\(event.requestID)", "tenant": "\(event.tenant ?? "-")", "key_id": "\(event.keyID ?? "-")",
            "stage": "\(event.stage)", "outcome": "\(event.status == .ok ? "answered" : "failed")",
            "error_code": "\(event.errorCode ?? "-")", "latency_ms": "\(event.latencyMs)",
            "model": "\(event.model ?? "-")", "cost_picousd": "\(event.costPicoUSD)",
        ])
        return StageResult()
    }
}
