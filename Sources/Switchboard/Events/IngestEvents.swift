import Foundation
import Kafka

/// The value of a `docs.ingest.v1` record: one document (the BEIR corpus layout plus metadata).
public struct IngestDocument: Sendable, Codable, Equatable {
    public enum Format: String, Sendable, Codable { case markdown, text }

    public var id: String
    public var title: String?
    public var text: String
    public var format: Format?
    public var metadata: [String: String]?

    public init(id: String, title: String? = nil, text: String, format: Format? = nil, metadata: [String: String]? = nil) {
        self.id = id
        self.title = title
        self.text = text
        self.format = format
        self.metadata = metadata
    }
}

/// The key of an ingest record: `<tenant>/<collection>/<document id>`. The document id may
/// contain `/` (relative paths); tenant and collection may not.
public struct IngestKey: Sendable, Hashable {
    public var tenant: String
    public var collection: String
    public var documentID: String

    public init(tenant: String, collection: String, documentID: String) {
        self.tenant = tenant
        self.collection = collection
        self.documentID = documentID
    }

    public init?(_ raw: String) {
        let parts = raw.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else { return nil }
        self.init(tenant: String(parts[0]), collection: String(parts[1]), documentID: String(parts[2]))
    }

    public var string: String { "\(tenant)/\(collection)/\(documentID)" }

    /// Tenant and collection names: letters, digits, `_`, `-`, `.`; 1 to 64 characters.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "."
        }
    }
}

/// The value of a `docs.indexed.v1` record.
public struct IndexedAck: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case indexed, unchanged, deleted, failed }

    public var tenant: String
    public var collection: String
    public var documentID: String
    public var status: Status
    public var indexVersion: String?
    public var chunks: Int?
    public var error: String?
    public var ms: Double?

    enum CodingKeys: String, CodingKey {
        case tenant, collection, documentID = "document_id", status, indexVersion = "index_version", chunks, error, ms
    }

    public init(tenant: String, collection: String, documentID: String, status: Status, indexVersion: String? = nil,
                chunks: Int? = nil, error: String? = nil, ms: Double? = nil) {
        self.tenant = tenant
        self.collection = collection
        self.documentID = documentID
        self.status = status
        self.indexVersion = indexVersion
        self.chunks = chunks
        self.error = error
        self.ms = ms
    }
}

/// Builds ingest records the way an ingestion job does.
public enum IngestEvents {
    public static let ingestType = "docs.ingest.v1"
    public static let ackType = "docs.indexed.v1"

    /// A document (or, with `document == nil`, a tombstone that deletes it).
    public static func make(_ document: IngestDocument?, key: IngestKey, topic: String = "docs.ingest.v1",
                            eventID: String = EventID.random(), replyTo: String? = nil,
                            source: String = "switchboard-ingest") -> KafkaOutgoingRecord {
        var extra: [KafkaHeader] = []
        if let replyTo { extra.append(KafkaHeader(CEHeader.replyTo, replyTo)) }
        return KafkaOutgoingRecord(topic: topic, key: Array(key.string.utf8), value: document.map { EventCoding.encode($0) },
                                   headers: EventHeaders.make(type: ingestType, id: eventID, source: source, extra: extra))
    }
}
