/// Dimensions of all-MiniLM-L6-v2 (a 6-layer BERT).
enum MiniLMShape {
    static let hidden = 384
    static let heads = 12
    static let headDim = 32
    static let intermediate = 1536
    static let layers = 6
    static let maxPositions = 512
    /// LayerNorm epsilon of BERT.
    static let layerNormEps: Float = 1e-12
    /// Width of the fused query/key/value projection.
    static let qkv = 3 * hidden
}

/// The encoder's parameters, checked for shape and type at load time.
///
/// Most tensors are used in place from the memory-mapped file. The query, key
/// and value projections are copied once into one [1152 × 384] matrix so that
/// a single matrix product computes all three. Linear weights keep PyTorch's
/// [out × in] layout: y = x · Wᵀ + b.
final class MiniLMWeights: @unchecked Sendable {
    // @unchecked: every pointer is read-only after init; `file` keeps the
    // mapping alive and `owned` is freed in deinit.

    struct Layer {
        let qkvWeight: UnsafePointer<Float>
        let qkvBias: UnsafePointer<Float>
        let attentionOutWeight: UnsafePointer<Float>
        let attentionOutBias: UnsafePointer<Float>
        let attentionNormGamma: UnsafePointer<Float>
        let attentionNormBeta: UnsafePointer<Float>
        let intermediateWeight: UnsafePointer<Float>
        let intermediateBias: UnsafePointer<Float>
        let outputWeight: UnsafePointer<Float>
        let outputBias: UnsafePointer<Float>
        let outputNormGamma: UnsafePointer<Float>
        let outputNormBeta: UnsafePointer<Float>
    }

    let file: SafeTensorsFile
    let vocabularyRows: Int
    let wordEmbeddings: UnsafePointer<Float>
    let positionEmbeddings: UnsafePointer<Float>
    let tokenTypeEmbeddings: UnsafePointer<Float>
    let embeddingNormGamma: UnsafePointer<Float>
    let embeddingNormBeta: UnsafePointer<Float>
    let layers: [Layer]
    private let owned: [UnsafeMutablePointer<Float>]

    /// Loads and checks every tensor the encoder uses from `file`.
    init(file: SafeTensorsFile) throws {
        typealias S = MiniLMShape
        let h = S.hidden
        self.file = file
        func tensor(_ name: String, _ shape: [Int]) throws -> UnsafePointer<Float> {
            try file.floatPointer(name, shape: shape)
        }
        guard let vocabShape = file.tensors["embeddings.word_embeddings.weight"]?.shape, vocabShape.count == 2 else {
            throw EmbeddingError(.missingTensor, "\(file.path) has no 2-D tensor embeddings.word_embeddings.weight")
        }
        vocabularyRows = vocabShape[0]
        wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [vocabularyRows, h])
        positionEmbeddings = try tensor("embeddings.position_embeddings.weight", [S.maxPositions, h])
        tokenTypeEmbeddings = try tensor("embeddings.token_type_embeddings.weight", [2, h])
        embeddingNormGamma = try tensor("embeddings.LayerNorm.weight", [h])
        embeddingNormBeta = try tensor("embeddings.LayerNorm.bias", [h])

        var owned: [UnsafeMutablePointer<Float>] = []
        var layers: [Layer] = []
        do {
            for i in 0..<S.layers {
                let p = "encoder.layer.\(i)."
                // Fuse Q, K and V: rows 0..<384 are Q, then K, then V.
                let weight = UnsafeMutablePointer<Float>.allocate(capacity: S.qkv * h)
                let bias = UnsafeMutablePointer<Float>.allocate(capacity: S.qkv)
                owned += [weight, bias]
                for (part, name) in ["query", "key", "value"].enumerated() {
                    let w = try tensor(p + "attention.self.\(name).weight", [h, h])
                    let b = try tensor(p + "attention.self.\(name).bias", [h])
                    (weight + part * h * h).initialize(from: w, count: h * h)
                    (bias + part * h).initialize(from: b, count: h)
                }
                layers.append(Layer(
                    qkvWeight: UnsafePointer(weight),
                    qkvBias: UnsafePointer(bias),
                    attentionOutWeight: try tensor(p + "attention.output.dense.weight", [h, h]),
                    attentionOutBias: try tensor(p + "attention.output.dense.bias", [h]),
                    attentionNormGamma: try tensor(p + "attention.output.LayerNorm.weight", [h]),
                    attentionNormBeta: try tensor(p + "attention.output.LayerNorm.bias", [h]),
                    intermediateWeight: try tensor(p + "intermediate.dense.weight", [S.intermediate, h]),
                    intermediateBias: try tensor(p + "intermediate.dense.bias", [S.intermediate]),
                    outputWeight: try tensor(p + "output.dense.weight", [h, S.intermediate]),
                    outputBias: try tensor(p + "output.dense.bias", [h]),
                    outputNormGamma: try tensor(p + "output.LayerNorm.weight", [h]),
                    outputNormBeta: try tensor(p + "output.LayerNorm.bias", [h])
                ))
            }
        } catch {
            owned.forEach { $0.deallocate() }
            throw error
        }
        self.layers = layers
        self.owned = owned
    }

    deinit { owned.forEach { $0.deallocate() } }
}
