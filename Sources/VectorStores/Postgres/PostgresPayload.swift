import Foundation

/// Rows sent to the server as one JSON array parameter per statement (`jsonb_to_recordset`):
/// a whole batch travels in one round trip, and no value is ever spliced into SQL text.
enum PostgresPayload {
    struct DocumentKey: Encodable {
        let tenant: String
        let document_id: String
    }

    struct DocumentRow: Encodable {
        let tenant: String
        let document_id: String
        let content_hash: String
    }

    struct ChunkRow: Encodable {
        let tenant: String
        let document_id: String
        let chunk: Int
        let text: String
        let metadata: [String: String]
        let embedding: String
    }

    static func json<T: Encodable>(_ rows: T) throws(VectorStoreError) -> String {
        do {
            return String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        } catch {
            throw VectorStoreError(.invalidArgument, "cannot encode rows as JSON: \(error)")
        }
    }

    /// pgvector's text form, `[0.1,-0.2,...]`. Swift prints the shortest decimal that reads back
    /// as the same `Float`, so the stored vector is bit-exact.
    static func vectorLiteral(_ vector: [Float]) -> String {
        var text = "["
        text.reserveCapacity(vector.count * 12 + 2)
        for (position, value) in vector.enumerated() {
            if position > 0 { text += "," }
            text += value.description
        }
        text += "]"
        return text
    }

    /// The metadata column as the server prints it (`{"a": "b"}`), back to a dictionary.
    static func metadata(_ text: String?) -> [String: String] {
        guard let text, let data = text.data(using: .utf8),
              let decoded = try? JSONDecoder().decode([String: String].self, from: data) else { return [:] }
        return decoded
    }
}
