import Foundation
import Kafka
import Logging
import VectorStores

/// The embedding service: `docs.ingest.v1` in, chunks with metadata and vectors into the
/// collection's active index version, one ack per record on `docs.indexed.v1`.
///
/// A null value deletes the document. A document whose content hash is stored already is
/// acknowledged as `unchanged` without embedding; a redelivered record therefore changes nothing.
/// A record that cannot be read gets a `failed` ack with the reason and goes to the dead-letter
/// topic; a document that fails to embed or store gets a `failed` ack and the job goes on.
public struct EmbedderStage: Stage {
    public let name = "embedder"
    public let inputTopics: [String]
    private let ackTopic: String
    private let directory: CollectionDirectory
    private let indexer: DocumentIndexer
    private let serializer: KeyedSerializer
    private let logger: Logger

    /// `serializer` is shared with re-index jobs of the same process.
    public init(topics: TopicNames, directory: CollectionDirectory, indexer: DocumentIndexer, serializer: KeyedSerializer, logger: Logger) {
        self.serializer = serializer
        inputTopics = [topics.ingest]
        ackTopic = topics.indexed
        self.directory = directory
        self.indexer = indexer
        self.logger = logger
    }

    public func process(_ record: KafkaRecord) async -> StageResult {
        let start = ContinuousClock.now
        let rawKey = record.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
        guard let key = IngestKey(rawKey), IngestKey.isValidName(key.tenant), IngestKey.isValidName(key.collection) else {
            let reason = DeadLetterReason(code: "invalid_key",
                detail: "key '\(rawKey.prefix(200))' is not <tenant>/<collection>/<document id> (tenant and collection: letters, digits, _ - .)")
            return StageResult(outputs: [ack(IndexedAck(tenant: "", collection: "", documentID: rawKey, status: .failed,
                                                        error: reason.detail), for: record)],
                               deadLetter: reason)
        }
        var document: IngestDocument?
        if let value = record.value {
            do {
                document = try EventCoding.decode(IngestDocument.self, from: value)
            } catch {
                let reason = DeadLetterReason(code: "schema", detail: "not a docs.ingest.v1 document: \(error)")
                return StageResult(outputs: [ack(failed(key, reason.detail), for: record)], deadLetter: reason)
            }
            if document?.id != key.documentID {
                let reason = DeadLetterReason(code: "id_mismatch", detail: "value id '\(document?.id ?? "")' differs from the key's document id '\(key.documentID)'")
                return StageResult(outputs: [ack(failed(key, reason.detail), for: record)], deadLetter: reason)
            }
        }
        var result: IndexedAck
        do {
            let applied = try await serializer.run(key: rawKey, offset: record.offset) { () async throws -> IndexedAck in
                // The active version answers for the document; versions being built get it too.
                var acks: [IndexedAck] = []
                for version in try await directory.writeTargets(key.collection) {
                    if let document {
                        acks.append(try await indexer.index(document, tenant: key.tenant, version: version))
                    } else {
                        acks.append(try await indexer.delete(key, version: version))
                    }
                }
                return acks[0]
            }
            result = applied ?? IndexedAck(tenant: key.tenant, collection: key.collection, documentID: key.documentID,
                                           status: .unchanged, error: "a newer version of the document was applied first")
        } catch {
            logger.warning("document not indexed", metadata: ["key": "\(rawKey)", "error": "\(error)"])
            result = failed(key, "\(error)")
        }
        result.ms = elapsedMs(since: start)
        EmbedderMetrics.record(result)
        return StageResult(outputs: [ack(result, for: record)])
    }

    private func failed(_ key: IngestKey, _ reason: String) -> IndexedAck {
        IndexedAck(tenant: key.tenant, collection: key.collection, documentID: key.documentID, status: .failed, error: reason)
    }

    private func ack(_ ack: IndexedAck, for record: KafkaRecord) -> KafkaOutgoingRecord {
        let id = record.header(CEHeader.id) ?? "\(record.topic)/\(record.partition)/\(record.offset)"
        return KafkaOutgoingRecord(topic: record.header(CEHeader.replyTo) ?? ackTopic, key: record.key, value: EventCoding.encode(ack),
                                   headers: EventHeaders.make(type: IngestEvents.ackType, id: id + "/ack",
                                                              extra: [KafkaHeader(CEHeader.requestID, id)]))
    }
}
