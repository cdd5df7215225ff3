import Foundation

/// The value of an `llm.embed.v1` record: an embedding call the HTTP ingress admitted, for the
/// embedding service. The credential never travels; the principal does.
public struct EmbeddingTask: Sendable, Codable, Equatable {
    public var requestID: String
    public var principal: Principal
    /// The model as the caller named it (the embedding service's model or one of its names).
    public var model: String
    /// The texts, in order; the reply has one vector per text.
    public var input: [String]
    public var replyTo: String
    public var deadlineMs: Int64?
    public var receivedAtMs: Int64

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", principal, model, input, replyTo = "reply_to", deadlineMs = "deadline_ms"
        case receivedAtMs = "received_at_ms"
    }

    public init(requestID: String, principal: Principal, model: String, input: [String], replyTo: String,
                deadlineMs: Int64?, receivedAtMs: Int64) {
        self.requestID = requestID
        self.principal = principal
        self.model = model
        self.input = input
        self.replyTo = replyTo
        self.deadlineMs = deadlineMs
        self.receivedAtMs = receivedAtMs
    }

    /// `ce_type` of the event.
    public static let eventType = "llm.embed.v1"
}

/// How a vector travels in a reply: its float32 values, little-endian, in base64. Exact (no
/// decimal rounding), and about half the size of the same vector as JSON numbers; it is also
/// what OpenAI's `encoding_format: "base64"` returns.
public enum EmbeddingVector {
    public static func encode(_ vector: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(vector.count * 4)
        for value in vector {
            let bits = value.bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }

    /// nil when `text` is not base64 of a whole number of float32 values.
    public static func decode(_ text: String) -> [Float]? {
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}
