import Foundation
import Logging

/// all-MiniLM-L6-v2 sentence embeddings, computed natively (OpenBLAS for the
/// matrix products): 384-dimensional unit vectors matching
/// sentence-transformers' `encode` output.
///
/// The forward passes run on a dedicated worker thread (plus one helper per
/// further core), never on the Swift concurrency pool: callers await a
/// continuation. Concurrent `embed` calls share that worker batch by batch
/// rather than compete for the cores, which one batch already fills. Texts
/// longer than `maxLength` tokens are truncated, as in sentence-transformers.
public final class MiniLMEmbedder: TextEmbedder {
    /// The model this embedder implements.
    public static let identifier = "sentence-transformers/all-MiniLM-L6-v2"
    /// Values per vector.
    public static let vectorDimension = MiniLMShape.hidden

    /// 384.
    public let dimension = MiniLMEmbedder.vectorDimension
    /// `sentence-transformers/all-MiniLM-L6-v2`.
    public let modelID = MiniLMEmbedder.identifier
    /// The tokenizer used for embedding, for callers that chunk or count tokens.
    public let tokenizer: WordPieceTokenizer
    /// Most texts run through the encoder together.
    public let batchSize: Int
    /// Token limit per text, `[CLS]` and `[SEP]` included.
    public let maxLength: Int
    /// Threads one forward pass is split across.
    public let threads: Int
    /// The directory the model was loaded from.
    public let modelDirectory: URL

    private let worker: EncoderWorker<MiniLMEncoder>

    /// Loads the model from `modelDirectory` (default:
    /// `ModelLocation.defaultDirectory()`).
    ///
    /// - Parameters:
    ///   - batchSize: texts per forward pass (32 keeps the matrix products
    ///     large without much memory: about 75 MB of activations for long texts).
    ///   - maxLength: tokens per text, at most 512; 256 is the model's setting.
    ///   - threads: threads per forward pass (default: one per active core).
    ///     OpenBLAS is switched to single-threaded calls process-wide, as the
    ///     encoder parallelises above it.
    public init(modelDirectory: URL? = nil, batchSize: Int = 32, maxLength: Int = WordPieceTokenizer.defaultMaxLength,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                logger: Logger = Logger(label: "switchboard.embeddings")) throws {
        let directory = modelDirectory ?? ModelLocation.defaultDirectory()
        try ModelLocation.validate(directory)
        let started = EncoderProfile.now()
        tokenizer = try WordPieceTokenizer(vocabularyURL: directory.appendingPathComponent(ModelLocation.vocabularyFile))
        let weightsURL = directory.appendingPathComponent(ModelLocation.weightsFile)
        let weights = try MiniLMWeights(file: SafeTensorsFile(url: weightsURL))
        guard tokenizer.vocabularySize <= weights.vocabularyRows else {
            throw EmbeddingError(.tensorMismatch,
                "\(weightsURL.path): \(weights.vocabularyRows) word embeddings for \(tokenizer.vocabularySize) vocabulary entries")
        }
        self.batchSize = max(1, batchSize)
        self.maxLength = min(max(2, maxLength), MiniLMShape.maxPositions)
        self.modelDirectory = directory
        self.threads = max(1, threads)
        worker = EncoderWorker(name: "minilm-worker", state: MiniLMEncoder(weights: weights, threads: self.threads))
        logger.info("loaded embedding model", metadata: [
            "model": "\(Self.identifier)", "directory": "\(directory.path)",
            "milliseconds": "\(Int((EncoderProfile.now() - started) * 1000))",
            "openblas_core": "\(OpenBLASRuntime.coreName)", "threads": "\(self.threads)",
        ])
        if let warning = OpenBLASRuntime.performanceWarning {
            logger.warning("\(warning)")
        }
    }

    deinit { worker.stop() }

    /// Embeds `texts` in batches of `batchSize`, returning unit vectors in the
    /// caller's order. An empty or whitespace-only text gets the (valid) vector
    /// of `[CLS] [SEP]`. Cancelling the calling task stops between batches
    /// with `EmbeddingError.Code.cancelled`.
    ///
    /// Each batch is a separate job for the worker thread, so a large request
    /// does not hold up others for its whole duration: concurrent callers take
    /// turns batch by batch. Batches are packed rather than padded (see
    /// `MiniLMEncoder`), so their composition does not change the work done
    /// and texts go through in the caller's order, without sorting by length.
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            if Task.isCancelled {
                throw EmbeddingError(.cancelled, "embedding cancelled after \(start) of \(texts.count) texts")
            }
            let batch = Array(texts[start..<min(start + batchSize, texts.count)])
            let tokenizer = self.tokenizer, maxLength = self.maxLength
            vectors += try await worker.run { encoder in
                // Tokenizing here keeps that work off the caller's executor too.
                let t0 = EncoderProfile.now()
                let ids = batch.map { tokenizer.encode($0, maxLength: maxLength) }
                encoder.profile.tokenize += EncoderProfile.now() - t0
                encoder.profile.texts += ids.count
                return encoder.encode(ids)
            }
            start += batch.count
        }
        return vectors
    }

    /// Stage timings of all work so far.
    public func profile() async throws -> EncoderProfile {
        try await worker.run { $0.profile }
    }

    /// Clears the stage timings.
    public func resetProfile() async throws {
        try await worker.run { $0.profile = EncoderProfile() }
    }
}
