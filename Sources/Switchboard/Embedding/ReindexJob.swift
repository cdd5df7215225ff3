import Foundation
import Kafka
import Logging
import Synchronization
import VectorStores

/// Where a re-index stands, as `GET /collections/{name}/reindex` reports it.
public struct ReindexStatus: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable { case running, done, failed }

    public var collection: String
    public var from: String?
    public var to: String
    public var state: State
    /// Ingest records read so far, and about how many there are (compaction may leave fewer).
    public var read: Int
    public var total: Int
    public var indexed: Int
    public var unchanged: Int
    public var failed: Int
    public var chunks: Int
    public var error: String?
    public var startedMs: Int64
    public var finishedMs: Int64?

    enum CodingKeys: String, CodingKey {
        case collection, from, to, state, read, total, indexed, unchanged, failed, chunks, error
        case startedMs = "started_ms", finishedMs = "finished_ms"
    }
}

/// Builds a new version of a collection from the ingest topic while queries keep using the active
/// one, then switches the alias atomically.
///
/// It reads `docs.ingest.v1` from the beginning up to the end offsets seen at the start (the
/// compacted topic is the source of truth: the latest record of each document). Documents that
/// arrive meanwhile are written by the embedder stage into the active version and every newer
/// one, this one included, so the new version misses nothing at the switch; the shared
/// `KeyedSerializer` keeps an older replayed record from overwriting a newer live one.
public final class ReindexJob: Sendable {
    public let collection: String
    private let status: Mutex<ReindexStatus>
    private let directory: CollectionDirectory
    private let indexer: DocumentIndexer
    private let serializer: KeyedSerializer
    private let consumerConfiguration: KafkaConfiguration
    private let topic: String
    private let logger: Logger

    public var current: ReindexStatus { status.withLock { $0 } }

    /// Creates the new version (so live ingestion starts writing into it at once) and returns the job.
    public static func start(collection: String, directory: CollectionDirectory, indexer: DocumentIndexer, serializer: KeyedSerializer,
                             consumer: KafkaConfiguration, topic: String, logger: Logger) async throws -> ReindexJob {
        let active = try await directory.active(collection)
        let next = try await directory.nextVersion(collection)
        try await directory.store.createIndex(name: next.name, dimension: directory.dimension)
        let status = ReindexStatus(collection: collection, from: active?.name, to: next.name, state: .running, read: 0, total: 0,
                                   indexed: 0, unchanged: 0, failed: 0, chunks: 0, startedMs: Timestamp.nowMs())
        let job = ReindexJob(collection: collection, status: status, directory: directory, indexer: indexer, serializer: serializer,
                             consumer: consumer, topic: topic, logger: logger)
        Task { await job.run(into: next) }
        return job
    }

    private init(collection: String, status: ReindexStatus, directory: CollectionDirectory, indexer: DocumentIndexer,
                 serializer: KeyedSerializer, consumer: KafkaConfiguration, topic: String, logger: Logger) {
        self.collection = collection
        self.status = Mutex(status)
        self.directory = directory
        self.indexer = indexer
        self.serializer = serializer
        self.consumerConfiguration = consumer
        self.topic = topic
        self.logger = logger
    }

    private func run(into version: IndexVersion) async {
        do {
            try await replay(into: version)
            try await directory.store.setAlias(collection, to: version.name)
            status.withLock { $0.state = .done; $0.finishedMs = Timestamp.nowMs() }
            logger.info("re-index done; alias switched", metadata: ["collection": "\(collection)", "version": "\(version.name)"])
        } catch {
            status.withLock { $0.state = .failed; $0.error = "\(error)"; $0.finishedMs = Timestamp.nowMs() }
            logger.error("re-index failed; the active version stays", metadata: ["collection": "\(collection)", "error": "\(error)"])
        }
    }

    private func replay(into version: IndexVersion) async throws {
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, groupID: "switchboard-reindex-\(UUID().uuidString.prefix(8))", logger: logger)
        defer { Task { await consumer.close() } }
        let ends = try await consumer.endOffsets(topic: topic).filter { $0.value > 0 }
        status.withLock { $0.total = ends.values.reduce(0) { $0 + Int($1) } }
        guard !ends.isEmpty else { return }
        try consumer.assign(ends.mapValues { _ in KafkaConsumer.beginning })
        var remaining = Set(ends.keys)
        let prefix = "/\(collection)/"
        try await withThrowingTaskGroup(of: Void.self) { group in
            var inFlight = 0
            while !remaining.isEmpty, let record = await consumer.next() {
                let partition = TopicPartition(record.topic, record.partition)
                if let end = ends[partition], record.offset >= end - 1 { remaining.remove(partition) }
                status.withLock { $0.read += 1 }
                let raw = record.key.map { String(decoding: $0, as: UTF8.self) } ?? ""
                guard raw.contains(prefix), let key = IngestKey(raw), key.collection == collection else { continue }
                if inFlight >= 32 {
                    try await group.next()
                    inFlight -= 1
                }
                inFlight += 1
                group.addTask { await self.apply(record, key: key, raw: raw, version: version) }
            }
            try await group.waitForAll()
        }
    }

    private func apply(_ record: KafkaRecord, key: IngestKey, raw: String, version: IndexVersion) async {
        do {
            let ack = try await serializer.run(key: raw, offset: record.offset) { () async throws -> IndexedAck? in
                guard let value = record.value else { return try await indexer.delete(key, version: version) }
                let document = try EventCoding.decode(IngestDocument.self, from: value)
                guard document.id == key.documentID else { return nil }
                return try await indexer.index(document, tenant: key.tenant, version: version)
            }
            status.withLock { s in
                switch ack??.status {
                case .indexed?: s.indexed += 1; s.chunks += ack??.chunks ?? 0
                case .failed?: s.failed += 1
                default: s.unchanged += 1
                }
            }
        } catch {
            logger.warning("re-index: document failed", metadata: ["key": "\(raw)", "error": "\(error)"])
            status.withLock { $0.failed += 1 }
        }
    }
}
