import COpenBLAS

/// The all-MiniLM-L6-v2 forward pass: token ids → mean-pooled, L2-normalised
/// 384-dimensional vectors.
///
/// A batch is *packed*, not padded: the tokens of all its sequences are stacked
/// into one [tokens × 384] matrix for the projections and the feed-forward
/// network, and attention runs per sequence on exactly its own rows. That is
/// what a padding mask computes (masked keys get weight exactly 0), without
/// spending work on padding.
///
/// Work is split across `threads` threads (a `ForkJoinPool`): row blocks for
/// the row-wise phases, (sequence, head) pairs for attention. OpenBLAS is
/// set to one thread per call so the two levels do not compete.
///
/// Not thread-safe: it owns scratch buffers. The embedder confines it to its
/// worker thread.
final class MiniLMEncoder {
    typealias S = MiniLMShape
    let weights: MiniLMWeights
    /// Stage timings (of thread 0, plus its waits for the others), accumulated.
    var profile = EncoderProfile()

    private let pool: ForkJoinPool
    private let scratch: [ThreadScratch]
    /// Hidden states, [tokens × 384].
    private var hidden = ScratchBuffer()
    /// Fused Q|K|V projections, [tokens × 1152].
    private var qkv = ScratchBuffer()
    /// Attention context (heads concatenated), [tokens × 384].
    private var context = ScratchBuffer()
    /// Rows per feed-forward block: bounds the 1536-wide buffer (6 MiB per
    /// thread) while keeping the products large enough for full speed.
    private let feedForwardRows = 1024

    /// Number of threads a forward pass uses.
    var threads: Int { pool.threads }

    init(weights: MiniLMWeights, threads: Int) {
        self.weights = weights
        openblas_set_num_threads(1)
        pool = ForkJoinPool(threads: threads, name: "minilm-encoder")
        scratch = (0..<pool.threads).map { _ in ThreadScratch() }
    }

    deinit { pool.stop() }

    /// Embeds sequences of token ids (each at most 512 long, ids within the
    /// vocabulary) and returns one unit vector per sequence.
    func encode(_ batch: [[Int32]]) -> [[Float]] {
        let h = S.hidden
        let plan = BatchPlan(lengths: batch.map(\.count), threads: pool.threads)
        guard plan.total > 0 else { return batch.map { _ in [Float](repeating: 0, count: h) } }
        let x = hidden.reserve(plan.total * h)
        let q = qkv.reserve(plan.total * S.qkv)
        let ctx = context.reserve(plan.total * h)
        let layers = weights.layers

        parallel { t, clock in
            let rows = plan.rows(for: t)
            for (index, ids) in batch.enumerated() {
                let start = plan.starts[index]
                // The part of this sequence inside this thread's rows, if any.
                let first = max(rows.lowerBound, start), end = min(rows.upperBound, start + ids.count)
                for row in stride(from: first, to: end, by: 1) {
                    embed(token: ids[row - start], position: row - start, into: x + row * h)
                }
            }
            VectorMath.layerNorm(x + rows.lowerBound * h, rows: rows.count, cols: h, bias: nil,
                                 gamma: weights.embeddingNormGamma, beta: weights.embeddingNormBeta, eps: S.layerNormEps)
            clock.lap(\.embeddings)
            project(layers[0], rows: rows, x: x, q: q, clock: &clock)
        }
        for (index, layer) in layers.enumerated() {
            parallel { t, clock in
                for task in plan.attentionTasks(for: t, heads: S.heads) {
                    attention(head: task.head, rows: plan.starts[task.sequence], count: plan.lengths[task.sequence],
                              qkv: q, context: ctx, scratch: scratch[t], clock: &clock)
                }
            }
            parallel { t, clock in
                let rows = plan.rows(for: t)
                feedForward(layer, rows: rows, x: x, ctx: ctx, scratch: scratch[t], clock: &clock)
                if index + 1 < layers.count { project(layers[index + 1], rows: rows, x: x, q: q, clock: &clock) }
            }
        }

        let poolStart = EncoderProfile.now()
        let vectors = batch.indices.map { meanPool(x + plan.starts[$0] * h, rows: batch[$0].count) }
        profile.pooling += EncoderProfile.now() - poolStart
        profile.batches += 1
        profile.tokens += plan.total
        return vectors
    }

    /// Runs `body` on every thread. Thread 0's stage times go to `profile`,
    /// and so does the time it then waits for the others (`waiting`).
    private func parallel(_ body: (Int, inout StageClock) -> Void) {
        let start = EncoderProfile.now()
        var own = StageClock()
        var finished = start
        pool.run { t in
            var clock = StageClock()
            body(t, &clock)
            if t == 0 {
                own = clock
                finished = EncoderProfile.now()
            }
        }
        profile.add(own.times)
        profile.waiting += EncoderProfile.now() - finished
    }

    /// One row of word + token-type(0) + position embeddings, in PyTorch's order.
    private func embed(token: Int32, position: Int, into out: UnsafeMutablePointer<Float>) {
        let word = weights.wordEmbeddings + Int(token) * S.hidden
        let pos = weights.positionEmbeddings + position * S.hidden
        let type = weights.tokenTypeEmbeddings
        for c in 0..<S.hidden { out[c] = (word[c] + type[c]) + pos[c] }
    }

    /// Q|K|V = x · Wqkvᵀ + b for a block of rows.
    private func project(_ layer: MiniLMWeights.Layer, rows: Range<Int>, x: UnsafeMutablePointer<Float>,
                         q: UnsafeMutablePointer<Float>, clock: inout StageClock) {
        guard !rows.isEmpty else { return }
        let out = q + rows.lowerBound * S.qkv
        gemm(x + rows.lowerBound * S.hidden, layer.qkvWeight, out, m: rows.count, n: S.qkv, k: S.hidden, beta: 0)
        VectorMath.addBias(out, rows: rows.count, cols: S.qkv, bias: layer.qkvBias)
        clock.lap(\.qkvProjection)
    }

    /// One head of self-attention for the sequence occupying `count` rows
    /// from `rows`: context[:, head] = softmax(Q·Kᵀ/√32) · V, with the
    /// softmax's division applied after the product with V.
    private func attention(head: Int, rows: Int, count n: Int, qkv: UnsafeMutablePointer<Float>,
                           context: UnsafeMutablePointer<Float>, scratch: ThreadScratch, clock: inout StageClock) {
        let s = scratch.scores.reserve(n * n)
        let ld = Int32(S.qkv), nn = Int32(n), d = Int32(S.headDim)
        let q = qkv + rows * S.qkv + head * S.headDim
        let k = q + S.hidden
        let v = k + S.hidden
        let scale = 1 / Float(S.headDim).squareRoot()
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nn, nn, d, scale, q, ld, k, ld, 0, s, nn)
        clock.lap(\.attentionScores)
        let inverseSums = scratch.inverseSums.reserve(n)
        VectorMath.softmaxRows(s, rows: n, cols: n, ld: n, inverseSums: inverseSums)
        clock.lap(\.softmax)
        let out = context + rows * S.hidden + head * S.headDim
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nn, d, nn, 1, s, nn, v, ld, 0, out, Int32(S.hidden))
        clock.lap(\.attentionValues)
        // Softmax normalisation, applied to the 32-wide result rows.
        for i in 0..<n {
            let line = out + i * S.hidden
            let scale = inverseSums[i]
            for c in 0..<S.headDim { line[c] *= scale }
        }
        clock.lap(\.softmax)
    }

    /// For a block of rows: x = LN(x + ctx·Woᵀ + bo), then
    /// x = LN(x + gelu(x·W1ᵀ + b1)·W2ᵀ + b2). The residual rides in the
    /// product's C operand (beta = 1); each bias is folded into its LayerNorm.
    private func feedForward(_ layer: MiniLMWeights.Layer, rows: Range<Int>, x: UnsafeMutablePointer<Float>,
                             ctx: UnsafeMutablePointer<Float>, scratch: ThreadScratch, clock: inout StageClock) {
        let h = S.hidden
        guard !rows.isEmpty else { return }
        let block = x + rows.lowerBound * h
        gemm(ctx + rows.lowerBound * h, layer.attentionOutWeight, block, m: rows.count, n: h, k: h, beta: 1)
        clock.lap(\.attentionOutput)
        VectorMath.layerNorm(block, rows: rows.count, cols: h, bias: layer.attentionOutBias,
                             gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta, eps: S.layerNormEps)
        clock.lap(\.layerNorm)
        let mid = scratch.intermediate.reserve(min(feedForwardRows, rows.count) * S.intermediate)
        var first = rows.lowerBound
        while first < rows.upperBound {
            let count = min(feedForwardRows, rows.upperBound - first)
            let part = x + first * h
            gemm(part, layer.intermediateWeight, mid, m: count, n: S.intermediate, k: h, beta: 0)
            clock.lap(\.feedForwardUp)
            VectorMath.biasGELU(mid, rows: count, cols: S.intermediate, bias: layer.intermediateBias)
            clock.lap(\.gelu)
            gemm(mid, layer.outputWeight, part, m: count, n: h, k: S.intermediate, beta: 1)
            clock.lap(\.feedForwardDown)
            VectorMath.layerNorm(part, rows: count, cols: h, bias: layer.outputBias,
                                 gamma: layer.outputNormGamma, beta: layer.outputNormBeta, eps: S.layerNormEps)
            clock.lap(\.layerNorm)
            first += count
        }
    }

    /// Mean over the sequence's rows, then division by max(‖v‖, 1e-12).
    private func meanPool(_ x: UnsafeMutablePointer<Float>, rows: Int) -> [Float] {
        let h = S.hidden
        return [Float](unsafeUninitializedCapacity: h) { out, initialized in
            guard let sum = out.baseAddress else { return }
            sum.initialize(repeating: 0, count: h)
            for r in 0..<rows {
                let line = x + r * h
                for c in 0..<h { sum[c] += line[c] }
            }
            let count = Float(max(rows, 1))
            for c in 0..<h { sum[c] /= count }
            let scale = 1 / max(VectorMath.sumOfSquares(sum, h).squareRoot(), 1e-12)
            for c in 0..<h { sum[c] *= scale }
            initialized = h
        }
    }

    /// C[m×n] = A[m×k] · B[n×k]ᵀ + beta·C, all row-major and contiguous
    /// (B in PyTorch's [out × in] layout).
    ///
    /// A block of few rows (one or two short texts) is multiplied in slices of
    /// `smallBlockColumns` output columns: each slice is small enough for
    /// OpenBLAS's small-matrix kernel, which reads the weights where they are.
    /// Its general path copies (packs) the whole weight matrix on every call,
    /// and for a handful of rows that copy cost as much as the arithmetic: one
    /// short text embeds about 27% faster this way (`bench embed --batch-size 1`),
    /// two about 9%; from about four texts up the packed path is as fast or faster.
    private func gemm(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                      m: Int, n: Int, k: Int, beta: Float) {
        if m <= Self.smallBlockRows && n > Self.smallBlockColumns {
            for first in stride(from: 0, to: n, by: Self.smallBlockColumns) {
                let width = min(Self.smallBlockColumns, n - first)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(width), Int32(k),
                            1, a, Int32(k), b + first * k, Int32(k), beta, c + first, Int32(n))
            }
            return
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(k), b, Int32(k), beta, c, Int32(n))
    }

    /// At most this many rows per thread take the sliced path (measured: 1 and 2 short
    /// texts gain, 4 break even, 8 and 32 lose a little without the limit).
    static let smallBlockRows = 64
    /// Output columns per slice on the sliced path (64 measured best of 8 to 128).
    static let smallBlockColumns = 64
}

/// Per-thread stage timer: each lap adds the time since the previous one to
/// a field of its own `times`, which only thread 0's copy reports.
struct StageClock {
    private(set) var times = EncoderProfile()
    private var last = EncoderProfile.now()

    mutating func lap(_ field: WritableKeyPath<EncoderProfile, Double>) {
        let now = EncoderProfile.now()
        times[keyPath: field] += now - last
        last = now
    }
}
