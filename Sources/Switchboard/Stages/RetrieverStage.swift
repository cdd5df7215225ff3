import Embeddings
import Foundation
import Kafka
import Logging
import VectorStores

/// The retriever: for a request with a `retrieval` block, embeds the last user turn, searches
/// the tenant's chunks in the collection's active index version, puts the best ones into the
/// prompt with numbered citations, records the sources and the version, and forwards the request
/// to the completer. A tenant only ever searches its own chunks: the tenant comes from the
/// authenticated principal, never from the request. No match is a normal outcome: the prompt
/// and the reply say so.
public struct RetrieverStage: Stage {
    public let name = "retriever"
    public let inputTopics: [String]
    private let completeTopic: String
    private let directory: CollectionDirectory
    private let embedder: any TextEmbedder
    private let settings: RetrievalSettings
    private let emitter: ReplyEmitter
    private let logger: Logger

    public init(topics: TopicNames, directory: CollectionDirectory, embedder: any TextEmbedder, settings: RetrievalSettings, logger: Logger) {
        inputTopics = [topics.retrieve]
        completeTopic = topics.complete
        self.directory = directory
        self.embedder = embedder
        self.settings = settings
        self.emitter = ReplyEmitter(topics: topics)
        self.logger = logger
    }

    public func process(_ record: KafkaRecord) async -> StageResult {
        let start = ContinuousClock.now
        let trace = EventHeaders.trace(from: record)
        guard var task = record.completionTask else {
            return emitter.damagedTask(record, stage: name, start: start, trace: trace)
        }
        if let retrieval = task.request.retrieval {
            do {
                try await retrieve(retrieval, into: &task)
            } catch let error as ReplyError {
                return StageResult(outputs: emitter.rejection(error, requestID: task.requestID, principal: task.principal, replyTo: task.replyTo,
                                                              stage: name, latencyMs: elapsedMs(since: start), trace: trace, apiVersion: task.apiVersion))
            } catch {
                logger.warning("retrieval failed", metadata: ["request_id": "\(task.requestID)", "error": "\(error)"])
                let failure = ReplyError(.internalError, "document search is unavailable (\(error)); retry shortly", retryAfterMs: 1000)
                return StageResult(outputs: emitter.rejection(failure, requestID: task.requestID, principal: task.principal, replyTo: task.replyTo,
                                                              stage: name, latencyMs: elapsedMs(since: start), trace: trace, apiVersion: task.apiVersion))
            }
        }
        task.timings["retriever_ms"] = elapsedMs(since: start)
        let forwarded = KafkaOutgoingRecord(topic: completeTopic, key: record.key, value: EventCoding.encode(task),
                                            headers: record.headers.filter { $0.name != CEHeader.authorization })
        return StageResult(outputs: [forwarded])
    }

    private func retrieve(_ retrieval: RetrievalRequest, into task: inout CompletionTask) async throws {
        guard let version = try await directory.active(retrieval.collection) else {
            throw ReplyError(.invalidRequest, "collection '\(retrieval.collection)' does not exist: ingest documents into it first (switchboard ingest PATH --collection \(retrieval.collection))")
        }
        guard let question = RetrievalPrompt.query(of: task.request.messages), !question.isEmpty else {
            throw ReplyError(.invalidRequest, "retrieval needs a user message to search with")
        }
        let embedStart = ContinuousClock.now
        let vector = try await embedder.embed(question)
        let embedMs = elapsedMs(since: embedStart)
        let searchStart = ContinuousClock.now
        let k = min(max(retrieval.topK ?? settings.topK, 1), 100)
        let hits = try await settings.reranker.retrieve(
            VectorQuery(vector: vector, tenant: task.principal.tenant, k: k, filter: Self.filter(retrieval.filter)), text: question,
            minScore: settings.minScore, from: directory.store, in: version.name)
        RetrieverMetrics.record(collection: retrieval.collection, embedMs: embedMs, searchMs: elapsedMs(since: searchStart),
                                hits: hits.count, bestScore: hits.first.map { Double($0.score) })
        let system = RetrievalPrompt.systemMessage(collection: retrieval.collection, hits: hits, maxChars: settings.maxContextChars)
        task.request.messages = RetrievalPrompt.inject(system, into: task.request.messages)
        task.retrieval = RetrievalResult(
            collection: retrieval.collection, indexVersion: version.name,
            sources: hits.map { RetrievedSource(documentID: $0.documentID, chunk: $0.chunkIndex, score: Double($0.score), title: $0.metadata["title"]) })
    }

    /// A request's filter as exact-match metadata: strings as they are, numbers and booleans as text.
    static func filter(_ value: JSONValue?) -> [String: String] {
        guard case .object(let fields)? = value else { return [:] }
        var filter: [String: String] = [:]
        for (key, field) in fields {
            switch field {
            case .string(let text): filter[key] = text
            case .number(let number): filter[key] = number == number.rounded() ? String(Int64(number)) : String(number)
            case .bool(let flag): filter[key] = String(flag)
            default: continue
            }
        }
        return filter
    }
}
