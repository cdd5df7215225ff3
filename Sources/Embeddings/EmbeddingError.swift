/// The single error type of the Embeddings module.
///
/// `code` is stable and meant for programs (logs, HTTP error bodies, metrics);
/// `message` is for people and names the file, tensor or input concerned.
public struct EmbeddingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable machine-readable error codes.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// The model directory or one of its files does not exist.
        case modelNotFound = "model_not_found"
        /// A file exists but could not be opened, mapped or read.
        case fileUnreadable = "file_unreadable"
        /// `vocab.txt` is empty, lacks a required special token or is not UTF-8.
        case invalidVocabulary = "invalid_vocabulary"
        /// The safetensors container is malformed (header, offsets, sizes).
        case invalidSafeTensors = "invalid_safetensors"
        /// A tensor the model needs is absent from the weights file.
        case missingTensor = "missing_tensor"
        /// A tensor has a shape or element type other than the model expects.
        case tensorMismatch = "tensor_mismatch"
        /// A reference or benchmark input file is malformed.
        case invalidInput = "invalid_input"
        /// The embedding worker has been shut down.
        case workerStopped = "worker_stopped"
        /// The calling task was cancelled before its texts were embedded.
        case cancelled = "cancelled"
    }

    /// What went wrong, as a stable code.
    public let code: Code
    /// A human-readable explanation naming the file, tensor or value involved.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `"<code>: <message>"`.
    public var description: String { "\(code.rawValue): \(message)" }
}
