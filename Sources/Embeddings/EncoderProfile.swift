import Foundation

/// Wall-clock time spent in each stage of the encoder, summed over every
/// batch since the embedder was created (or since the last reset).
///
/// The encoder splits each phase across its threads; the stage times are
/// those of its first thread (the others do equal shares in parallel), plus
/// the time that thread waited for the rest, so they add up to wall time.
///
/// The stages add up to nearly all of the work, so the figures explain the
/// throughput: the matrix products run on OpenBLAS, the rest is this module's
/// own vectorised code.
public struct EncoderProfile: Sendable, Equatable {
    /// Texts embedded.
    public var texts = 0
    /// Batches run through the encoder.
    public var batches = 0
    /// Tokens run through the encoder (`[CLS]`/`[SEP]` included, no padding).
    public var tokens = 0
    /// Tokenization of the input texts.
    public var tokenize: Double = 0
    /// Embedding lookup and its LayerNorm.
    public var embeddings: Double = 0
    /// Fused query/key/value projection (sgemm) and its bias.
    public var qkvProjection: Double = 0
    /// Attention scores Q·Kᵀ per sequence and head (sgemm).
    public var attentionScores: Double = 0
    /// Softmax of the attention scores.
    public var softmax: Double = 0
    /// Attention-weighted values S·V per sequence and head (sgemm).
    public var attentionValues: Double = 0
    /// Attention output projection (sgemm).
    public var attentionOutput: Double = 0
    /// Feed-forward up-projection 384 → 1536 (sgemm).
    public var feedForwardUp: Double = 0
    /// Bias plus exact GELU on the 1536-wide activations.
    public var gelu: Double = 0
    /// Feed-forward down-projection 1536 → 384 (sgemm).
    public var feedForwardDown: Double = 0
    /// The two residual LayerNorms per layer (bias add fused in).
    public var layerNorm: Double = 0
    /// Mean pooling and L2 normalisation.
    public var pooling: Double = 0
    /// Time thread 0 waited for the other encoder threads to finish a phase
    /// (load imbalance and wake-up latency).
    public var waiting: Double = 0

    /// Creates an empty profile.
    public init() {}

    /// Seconds in OpenBLAS matrix products.
    public var sgemm: Double {
        qkvProjection + attentionScores + attentionValues + attentionOutput + feedForwardUp + feedForwardDown
    }

    /// Seconds in all stages.
    public var total: Double {
        tokenize + embeddings + sgemm + softmax + gelu + layerNorm + pooling + waiting
    }

    /// Adds the stage times of `other` (not its counts).
    mutating func add(_ other: EncoderProfile) {
        tokenize += other.tokenize
        embeddings += other.embeddings
        qkvProjection += other.qkvProjection
        attentionScores += other.attentionScores
        softmax += other.softmax
        attentionValues += other.attentionValues
        attentionOutput += other.attentionOutput
        feedForwardUp += other.feedForwardUp
        gelu += other.gelu
        feedForwardDown += other.feedForwardDown
        layerNorm += other.layerNorm
        pooling += other.pooling
        waiting += other.waiting
    }

    /// The stages as (name, seconds), in execution order.
    public var stages: [(name: String, seconds: Double)] {
        [("tokenize", tokenize), ("embeddings+LN", embeddings), ("QKV sgemm", qkvProjection),
         ("scores sgemm", attentionScores), ("softmax", softmax), ("values sgemm", attentionValues),
         ("attn-out sgemm", attentionOutput), ("FFN-up sgemm", feedForwardUp), ("bias+GELU", gelu),
         ("FFN-down sgemm", feedForwardDown), ("LayerNorm", layerNorm), ("pool+normalise", pooling),
         ("waiting (join)", waiting)]
    }

    /// A multi-line table of the stages with seconds and share of the total.
    public func report() -> String {
        let total = max(self.total, 1e-12)
        func column(_ name: String) -> String { name.padding(toLength: 18, withPad: " ", startingAt: 0) }
        var lines = [column("stage") + "   seconds   share"]
        for (name, seconds) in stages + [("(all sgemm)", sgemm)] {
            lines.append(column(name) + String(format: " %9.3f %6.1f%%", seconds, 100 * seconds / total))
        }
        return lines.joined(separator: "\n")
    }

    /// Monotonic time in seconds, for stage timing.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
