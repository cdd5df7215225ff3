import Kafka

extension CompleterStage {
    /// What the prompt cache said before the provider call.
    enum CacheStep {
        /// Answered from the cache: the finished answer.
        case served(EncodedAnswer)
        /// Call the provider, then settle the lead (nil: the cache was bypassed).
        case call(CacheLead?)
    }

    /// Looks the request up in the prompt cache; a hit is answered here, as a stream of delta
    /// events first when the caller asked for one.
    func consultCache(_ task: CompletionTask, model: ModelConfig, answer: inout Answer, trace: [KafkaHeader]) async -> CacheStep {
        guard let cache else { return .call(nil) }
        guard let plan = cache.plan(for: task, model: model.name) else {
            answer.reply.cache = CacheInfo(outcome: .bypass)
            answer.usage.cache = .bypass
            return .call(nil)
        }
        let lookupStart = ContinuousClock.now
        switch await cache.lookup(plan) {
        case .lead(let lead):
            answer.reply.timings["cache_ms"] = elapsedMs(since: lookupStart)
            return .call(lead)
        case .hit(let hit):
            answer.reply.timings["cache_ms"] = elapsedMs(since: lookupStart)
            if task.request.stream == true, let publisher {
                let deltas = DeltaStream(task: task, model: model.name, publisher: publisher, emitter: emitter, trace: trace)
                for piece in Self.streamPieces(hit.answer.content) { await deltas.send(piece) }
            }
            answer.recordHit(hit)
            return .served(answer.stored().encoded())
        }
    }

    /// Stores a successful answer (never an error) and wakes requests waiting for it.
    func settleCache(_ step: CacheStep, answer: inout Answer) async {
        guard case .call(let lead?) = step, let cache else { return }
        let outcome: CacheInfo.Outcome = lead.degraded ? .bypass : .miss
        answer.reply.cache = CacheInfo(outcome: outcome)
        answer.usage.cache = outcome
        await cache.settle(lead, answer: answer.cacheable(indexVersion: lead.plan.key.indexVersion))
    }

    /// A cached answer replayed as a stream: word-aligned pieces of about 24 characters, like
    /// the chunks of a provider's stream (the concatenation is exactly the answer).
    static func streamPieces(_ content: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        for character in content {
            current.append(character)
            if current.count >= 24 && character.isWhitespace {
                pieces.append(current)
                current = ""
            }
        }
        if !current.isEmpty || pieces.isEmpty { pieces.append(current) }
        return pieces
    }
}

extension CompleterStage.Answer {
    /// A reply from the cache: the answer, nothing paid, the saving recorded.
    mutating func recordHit(_ hit: CacheHit) {
        reply.status = .ok
        reply.model = model?.name
        reply.choices = [Choice(index: 0, message: ChatMessage(role: "assistant", content: hit.answer.content), finishReason: hit.answer.finishReason)]
        reply.usage = Usage(inputTokens: 0, outputTokens: 0, costPicoUSD: 0)
        reply.cache = hit.info
        usage.status = .ok
        usage.model = model?.name
        usage.cache = hit.info.outcome
        usage.cacheSavedPicoUSD = hit.info.savedCostPicoUSD
    }

    /// The answer as the cache keeps it, when there is one to keep (errors are never cached).
    func cacheable(indexVersion: String) -> CachedAnswer? {
        guard reply.status == .ok, let choice = reply.choices?.first, let usage = reply.usage else { return nil }
        return CachedAnswer(content: choice.message.content, finishReason: choice.finishReason, inputTokens: usage.inputTokens,
                            outputTokens: usage.outputTokens, costPicoUSD: usage.costPicoUSD, provider: reply.provider,
                            model: reply.model, indexVersion: indexVersion)
    }
}
