import Embeddings
import Synchronization

/// Gathers texts from many concurrent callers into batches before they reach the model: a
/// one-chunk document would otherwise run as a batch of one, and on short texts per-batch
/// overhead dominates. A batch runs when `batchSize` texts are waiting or `maxWait` has passed
/// since the first one arrived.
public final class CoalescingEmbedder: TextEmbedder {
    private struct Pending {
        var texts: [String] = []
        var waiters: [(range: Range<Int>, continuation: CheckedContinuation<[[Float]], any Error>)] = []
        var timerArmed = false
    }

    private let base: any TextEmbedder
    private let batchSize: Int
    private let maxWait: Duration
    private let pending = Mutex(Pending())

    public var dimension: Int { base.dimension }
    public var modelID: String { base.modelID }

    public init(_ base: any TextEmbedder, batchSize: Int = 32, maxWait: Duration = .milliseconds(5)) {
        self.base = base
        self.batchSize = max(1, batchSize)
        self.maxWait = maxWait
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        if texts.isEmpty { return [] }
        // A caller with a full batch of its own goes straight through.
        if texts.count >= batchSize { return try await base.embed(texts) }
        return try await withCheckedThrowingContinuation { continuation in
            let (ready, armTimer) = pending.withLock { p -> (Pending?, Bool) in
                let start = p.texts.count
                p.texts += texts
                p.waiters.append((start..<p.texts.count, continuation))
                if p.texts.count >= batchSize {
                    defer { p = Pending() }
                    return (p, false)
                }
                if p.timerArmed { return (nil, false) }
                p.timerArmed = true
                return (nil, true)
            }
            if let ready { run(ready) }
            if armTimer {
                Task {
                    try? await Task.sleep(for: maxWait)
                    let due = pending.withLock { p -> Pending? in
                        guard p.timerArmed, !p.texts.isEmpty else { return nil }
                        defer { p = Pending() }
                        return p
                    }
                    if let due { run(due) }
                }
            }
        }
    }

    private func run(_ batch: Pending) {
        let base = self.base
        Task {
            do {
                let vectors = try await base.embed(batch.texts)
                for waiter in batch.waiters { waiter.continuation.resume(returning: Array(vectors[waiter.range])) }
            } catch {
                for waiter in batch.waiters { waiter.continuation.resume(throwing: error) }
            }
        }
    }
}
