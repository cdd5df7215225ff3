import Foundation
import Kafka
import Logging

/// A batch ingestion: produces documents to `docs.ingest.v1`, waits for every ack on
/// `docs.indexed.v1`, and counts the outcomes. At most `window` documents wait for their ack at
/// once, so a large corpus does not sit in memory twice.
public struct IngestJob: Sendable {
    public struct Summary: Sendable, Equatable {
        public var documents = 0
        public var indexed = 0
        public var unchanged = 0
        public var deleted = 0
        public var chunks = 0
        /// Document id and reason, for documents that could not be read, embedded or stored.
        public var failures: [(id: String, reason: String)] = []
        public var seconds = 0.0
        public var versions: Set<String> = []

        public var done: Int { indexed + unchanged + deleted + failures.count }

        public static func == (a: Summary, b: Summary) -> Bool {
            a.documents == b.documents && a.indexed == b.indexed && a.unchanged == b.unchanged && a.deleted == b.deleted
                && a.chunks == b.chunks && a.failures.map(\.id) == b.failures.map(\.id)
        }
    }

    public var tenant: String
    public var collection: String
    public var topic: String
    public var window: Int
    /// How long one document may wait for its ack.
    public var ackTimeout: Duration

    public init(tenant: String, collection: String, topic: String = "docs.ingest.v1", window: Int = 512, ackTimeout: Duration = .seconds(600)) {
        self.tenant = tenant
        self.collection = collection
        self.topic = topic
        self.window = window
        self.ackTimeout = ackTimeout
    }

    /// Runs the job; `progress` sees the running summary after every ack.
    public func run(_ items: [DocumentSource.Item], producer: KafkaProducer, acks: ReplyReader,
                    progress: @escaping @Sendable (Summary) -> Void = { _ in }) async throws -> Summary {
        let started = ContinuousClock.now
        var summary = Summary()
        summary.documents = items.count
        try await withThrowingTaskGroup(of: (String, Result<IndexedAck, any Error>).self) { group in
            var inFlight = 0
            func collect() async throws {
                guard let (id, outcome) = try await group.next() else { return }
                inFlight -= 1
                switch outcome {
                case .success(let ack): Self.count(ack, into: &summary)
                case .failure(let error): summary.failures.append((id, "\(error)"))
                }
                progress(summary)
            }
            for item in items {
                switch item {
                case .unreadable(let id, let reason):
                    summary.failures.append((id, reason))
                    progress(summary)
                case .document(let document):
                    if inFlight >= window { try await collect() }
                    let eventID = EventID.random()
                    let record = IngestEvents.make(document, key: IngestKey(tenant: tenant, collection: collection, documentID: document.id),
                                                   topic: topic, eventID: eventID, replyTo: acks.topic)
                    _ = try await producer.send(record)
                    inFlight += 1
                    let timeout = ackTimeout
                    group.addTask {
                        do {
                            let arrival = try await acks.wait(for: eventID, timeout: timeout)
                            return (document.id, .success(try EventCoding.decode(IndexedAck.self, from: arrival.record.value ?? [])))
                        } catch {
                            return (document.id, .failure(error))
                        }
                    }
                }
            }
            while inFlight > 0 { try await collect() }
        }
        summary.seconds = elapsedMs(since: started) / 1000
        return summary
    }

    static func count(_ ack: IndexedAck, into summary: inout Summary) {
        if let version = ack.indexVersion { summary.versions.insert(version) }
        switch ack.status {
        case .indexed:
            summary.indexed += 1
            summary.chunks += ack.chunks ?? 0
        case .unchanged: summary.unchanged += 1
        case .deleted: summary.deleted += 1
        case .failed: summary.failures.append((ack.documentID, ack.error ?? "failed"))
        }
    }
}
