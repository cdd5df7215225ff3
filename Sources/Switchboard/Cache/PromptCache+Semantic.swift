import Embeddings
import Redis

extension PromptCache {
    /// Embeds the last user turn and looks through its bucket (same tenant, model, parameters
    /// and context) for the most similar prompt at or above the threshold that the guards let
    /// through and whose answer is still cached. Returns the embedding too, for storing.
    func semanticLookup(_ plan: CachePlan) async -> (CacheHit?, [Float]?) {
        guard let embedder, let question = plan.key.lastUserTurn else { return (nil, nil) }
        let vector: [Float]
        do {
            vector = try await embedder.embed(question)
        } catch {
            logger.warning("semantic cache skipped: embedding failed", metadata: ["error": "\(error)"])
            return (nil, nil)
        }
        let semantic = settings.semantic
        let stored: [RedisValue]
        do {
            stored = try await redis.send(["LRANGE", RedisArgument(bucketKey(plan)), 0, RedisArgument(semantic.maxEntriesPerBucket - 1)]).array ?? []
        } catch {
            failed("semantic", error)
            return (nil, vector)
        }
        let candidates = stored.compactMap { $0.bytes.flatMap(SemanticEntry.init(bytes:)) }
            // The bucket already holds one index version; checked again so an old entry can never answer.
            .filter { $0.indexVersion == plan.key.indexVersion && $0.embedding.count == vector.count && $0.exactKey != plan.key.exact }
            .map { ($0, Double(Self.dot($0.embedding, vector))) }
            .filter { $0.1 >= semantic.threshold }
            .sorted { $0.1 > $1.1 }
        for (entry, similarity) in candidates {
            if semantic.guards, let block = PromptGuard.block(question, entry.prompt) {
                CacheMetrics.blocked(tier: plan.tier, guard: block)
                continue
            }
            do {
                let value = try await redis.send(["GET", RedisArgument(answerKey(plan, exact: entry.exactKey))])
                if let bytes = value.bytes, let answer = try? EventCoding.decode(CachedAnswer.self, from: bytes),
                   answer.indexVersion == plan.key.indexVersion {
                    return (served(answer, plan: plan, outcome: .semanticHit, similarity: similarity), vector)
                }
            } catch {
                failed("semantic", error)
                return (nil, vector)
            }
        }
        return (nil, vector)
    }

    /// Cosine similarity of two unit vectors.
    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var sum: Float = 0
        for i in 0..<min(a.count, b.count) { sum += a[i] * b[i] }
        return sum
    }
}
