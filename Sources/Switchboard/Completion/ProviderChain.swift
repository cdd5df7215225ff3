import Synchronization

/// One call to one deployment, as the usage event reports it.
public struct Attempt: Sendable, Codable, Equatable {
    public var deployment: String
    public var provider: String
    public var status: Reply.Status
    /// The internal error class (`rate_limited`, `timeout`, ...) of a failed attempt.
    public var errorClass: String?
    public var httpStatus: Int?
    public var latencyMs: Double

    enum CodingKeys: String, CodingKey {
        case deployment, provider, status, errorClass = "error_class", httpStatus = "http_status", latencyMs = "latency_ms"
    }
}

/// What a chain run produced: the answer or the final error, every attempt, and which
/// deployment answered.
public struct ChainOutcome: Sendable {
    public var result: Result<ProviderResponse, ProviderError>
    public var attempts: [Attempt]
    public var deployment: DeploymentConfig?
    /// Milliseconds from the start of the run to the first streamed chunk.
    public var firstChunkMs: Double?
}

/// Calls a model through its deployments: retries retriable errors with backoff and jitter,
/// honours `Retry-After` up to a cap, skips deployments whose circuit is open or that are
/// cooling down, fails over along the chain, and stops at the request's deadline. A stream
/// fails over only until its first chunk reached the caller.
public struct ProviderChain: Sendable {
    public let providers: [String: any ChatProvider]
    public let health: DeploymentHealth
    public let policy: RetryPolicy
    public let clock: any GatewayClock
    public let jitter: JitterSource
    /// Per-attempt time limit by provider name.
    public let attemptTimeoutMs: [String: Int64]

    public init(providers: [String: any ChatProvider], health: DeploymentHealth, policy: RetryPolicy, clock: any GatewayClock = SystemGatewayClock(),
                jitter: JitterSource = JitterSource(), attemptTimeoutMs: [String: Int64] = [:]) {
        self.providers = providers
        self.health = health
        self.policy = policy
        self.clock = clock
        self.jitter = jitter
        self.attemptTimeoutMs = attemptTimeoutMs
    }

    /// Runs `request` against `model`'s deployments until one answers, an error is final,
    /// attempts run out or `deadlineMs` (on `clock`) passes. `onDelta` set means streaming.
    public func run(_ request: ProviderRequest, model: ModelConfig, deadlineMs: Int64, onDelta: DeltaHandler? = nil) async -> ChainOutcome {
        let start = clock.nowMs
        let order = LoadBalancer(health: health, jitter: jitter).order(model.deployments, strategy: model.routing)
        let stream = StreamProgress()
        var outcome = ChainOutcome(result: .failure(ProviderError(.noDeployment, "no deployment was tried")), attempts: [])
        var tried = Set<String>()
        var waits = 0
        while outcome.attempts.count < policy.maxAttempts {
            let now = clock.nowMs
            guard now < deadlineMs else {
                outcome.result = .failure(ProviderError(.deadlineExceeded, "after \(outcome.attempts.count) attempt(s)"))
                return outcome
            }
            // Untried deployments first (failover is immediate), then retries in chain order.
            let candidates = order.filter { !tried.contains($0.id) } + order.filter { tried.contains($0.id) }
            guard let chosen = candidates.first(where: { health.admit($0.id, nowMs: now) }) else {
                let readyAt = order.map { health.availableAtMs($0.id, nowMs: now) }.min() ?? now
                let wait = readyAt - now
                // Bounded by the deadline: waiting for a deployment to come back beats failing.
                if wait <= policy.maxRetryAfterMs && readyAt < deadlineMs && waits < 100_000 {
                    waits += 1
                    await clock.sleep(ms: max(wait, 1))
                    continue
                }
                if case .failure(let last) = outcome.result, !outcome.attempts.isEmpty {
                    outcome.result = .failure(ProviderError(last.kind, last.message, status: last.status, retryAfterMs: Int(wait)))
                } else {
                    outcome.result = .failure(ProviderError(.noDeployment, "every deployment of \(model.name) is cooling down or failing", retryAfterMs: Int(wait)))
                }
                return outcome
            }
            if tried.contains(chosen.id) {
                let backoff = policy.backoffMs(retry: outcome.attempts.count - 1, unit: jitter.next())
                guard clock.nowMs + backoff < deadlineMs else {
                    outcome.result = .failure(ProviderError(.deadlineExceeded, "no time left to retry after \(outcome.attempts.count) attempt(s)"))
                    return outcome
                }
                await clock.sleep(ms: backoff)
            }
            tried.insert(chosen.id)
            let result = await attempt(request, on: chosen, deadlineMs: deadlineMs, onDelta: onDelta, stream: stream, start: start)
            outcome.attempts.append(result.attempt)
            outcome.deployment = chosen
            if let first = stream.firstChunkMs { outcome.firstChunkMs = first }
            switch result.outcome {
            case .success(let response):
                outcome.result = .success(response)
                return outcome
            case .failure(let error):
                outcome.result = .failure(error)
                if stream.delivered {
                    outcome.result = .failure(ProviderError(.streamInterrupted, "the stream broke after its first chunk: \(error.message)", status: error.status))
                    return outcome
                }
                if !error.isRetriable { return outcome }
            }
        }
        return outcome
    }

    private func attempt(_ request: ProviderRequest, on deployment: DeploymentConfig, deadlineMs: Int64, onDelta: DeltaHandler?,
                         stream: StreamProgress, start: Int64) async -> (attempt: Attempt, outcome: Result<ProviderResponse, ProviderError>) {
        let began = clock.nowMs
        func finish(_ outcome: Result<ProviderResponse, ProviderError>, status: Int? = nil) -> (Attempt, Result<ProviderResponse, ProviderError>) {
            let latency = Double(clock.nowMs - began)
            var coolDown: Int64 = 0
            var error: ProviderError?
            if case .failure(let failure) = outcome {
                error = failure
                if failure.kind == .rateLimited || failure.kind == .overloaded {
                    // The deployment asked for a pause: nobody calls it until the pause is over.
                    coolDown = failure.retryAfterMs.map(Int64.init) ?? policy.ceilingMs(retry: 0)
                }
            }
            health.record(deployment.id, error: error, latencyMs: latency, nowMs: clock.nowMs, coolDownMs: coolDown)
            let attempt = Attempt(deployment: deployment.id, provider: deployment.provider, status: error == nil ? .ok : .error,
                                  errorClass: error?.kind.rawValue, httpStatus: error?.status, latencyMs: latency)
            return (attempt, outcome)
        }
        guard let provider = providers[deployment.provider] else {
            return finish(.failure(ProviderError(.unavailable, "provider '\(deployment.provider)' is not configured in this process")))
        }
        var call = request
        call.model = deployment.providerModel
        let limit = min(attemptTimeoutMs[deployment.provider] ?? 60_000, deadlineMs - began)
        call.timeout = .milliseconds(max(1, limit))
        do {
            if let onDelta {
                let clock = self.clock
                let response = try await provider.stream(call) { text in
                    stream.markDelivered(atMs: Double(clock.nowMs - start))
                    await onDelta(text)
                }
                return finish(.success(response))
            }
            return finish(.success(try await provider.complete(call)))
        } catch {
            return finish(.failure(error))
        }
    }
}

/// Whether any chunk of a streamed request has reached the caller, and when the first did.
final class StreamProgress: Sendable {
    private let first = Mutex<Double?>(nil)

    var delivered: Bool { first.withLock { $0 != nil } }
    var firstChunkMs: Double? { first.withLock { $0 } }

    func markDelivered(atMs ms: Double) {
        first.withLock { if $0 == nil { $0 = ms } }
    }
}
