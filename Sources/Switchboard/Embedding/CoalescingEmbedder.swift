import Embeddings
import Synchronization

/// Gathers texts from many concurrent callers into batches before they reach the model: a
/// one-chunk document or a one-text call would otherwise run as a batch of one, and on short
/// texts per-batch overhead dominates.
///
/// At most one batch of this embedder runs at a time. Texts that arrive while it runs wait and
/// go together in the next one, which starts as soon as it finishes: under load, batches grow
/// with the load and no text waits longer than one batch. When the model is idle a text starts
/// at once, unless `maxWait` is set: then a partial batch waits up to that long for company
/// (or until `batchSize` texts are waiting), which fills batches better when texts trickle in
/// and nobody waits on a single one (document indexing).
public final class CoalescingEmbedder: TextEmbedder {
    private struct Waiter {
        var range: Range<Int>
        var continuation: CheckedContinuation<[[Float]], any Error>
    }
    private struct Batch {
        var texts: [String] = []
        var waiters: [Waiter] = []
    }
    private struct State {
        var pending = Batch()
        /// A batch is with the model.
        var running = false
        /// A timer will start the pending batch (only with `maxWait`).
        var timerArmed = false

        /// Takes the pending texts for a run.
        mutating func take() -> Batch {
            defer { pending = Batch(); timerArmed = false; running = true }
            return pending
        }
    }

    private let base: any TextEmbedder
    private let batchSize: Int
    private let maxWait: Duration
    private let state = Mutex(State())

    public var dimension: Int { base.dimension }
    public var modelID: String { base.modelID }

    public init(_ base: any TextEmbedder, batchSize: Int = 32, maxWait: Duration = .zero) {
        self.base = base
        self.batchSize = max(1, batchSize)
        self.maxWait = maxWait
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        if texts.isEmpty { return [] }
        // A caller with a full batch of its own goes straight through.
        if texts.count >= batchSize { return try await base.embed(texts) }
        return try await withCheckedThrowingContinuation { continuation in
            enum Next { case wait, run(Batch), arm }
            let next = state.withLock { s -> Next in
                let start = s.pending.texts.count
                s.pending.texts += texts
                s.pending.waiters.append(Waiter(range: start..<s.pending.texts.count, continuation: continuation))
                if s.running { return .wait }   // joins the batch after the running one
                if maxWait == .zero || s.pending.texts.count >= batchSize { return .run(s.take()) }
                if s.timerArmed { return .wait }
                s.timerArmed = true
                return .arm
            }
            switch next {
            case .wait: break
            case .run(let batch): run(batch)
            case .arm:
                Task {
                    try? await Task.sleep(for: maxWait)
                    let due = state.withLock { s -> Batch? in
                        guard s.timerArmed, !s.running, !s.pending.texts.isEmpty else { return nil }
                        return s.take()
                    }
                    if let due { run(due) }
                }
            }
        }
    }

    /// Runs `batch`, then whatever gathered meanwhile, until nothing is pending.
    private func run(_ batch: Batch) {
        let base = self.base
        Task {
            var current = batch
            while true {
                do {
                    let vectors = try await base.embed(current.texts)
                    for waiter in current.waiters { waiter.continuation.resume(returning: Array(vectors[waiter.range])) }
                } catch {
                    for waiter in current.waiters { waiter.continuation.resume(throwing: error) }
                }
                let next = state.withLock { s -> Batch? in
                    guard !s.pending.texts.isEmpty else {
                        s.running = false
                        return nil
                    }
                    return s.take()
                }
                guard let next else { return }
                current = next
            }
        }
    }
}
