import ArgumentParser
import Foundation
import Kafka
import Logging
import Switchboard

/// `switchboard submit "question"`: an async submitter that waits for its reply.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit", abstract: "Submit a request to llm.requests.v1 and print its reply.")

    @Argument(help: "The question (the user message).")
    var question: String

    @Option(name: .long, help: "Model, alias or auto.")
    var model: String = "auto"

    @Option(name: .long, help: "Maximum output tokens.")
    var maxTokens: Int?

    @Option(name: .long, help: "System message.")
    var system: String?

    @Option(name: .long, help: "Answer from this document collection (retrieval); the reply lists its sources.")
    var collection: String?

    @Option(name: .long, help: "Passages to retrieve with --collection.")
    var topK: Int?

    @Option(name: .long, help: "API key (default: $SWITCHBOARD_API_KEY).")
    var key: String?

    @Option(name: .long, help: "Reply topic (default: the config's results topic).")
    var replyTo: String?

    @Option(name: .long, help: "Seconds to wait for the reply; also sent as the request's deadline.")
    var timeout: Double = 30

    @Flag(name: .long, help: "Print the raw reply event (headers and JSON value).")
    var json = false

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: .warning) }
        let config = try options.load()
        guard let apiKey = key ?? ProcessInfo.processInfo.environment["SWITCHBOARD_API_KEY"] else {
            throw ValidationError("no API key: pass --key or set SWITCHBOARD_API_KEY")
        }
        let runtime = SwitchboardRuntime(config: config, catalog: TopicCatalog(contracts: []), logger: Logger(label: "switchboard.submit"))
        let replyTopic = replyTo ?? config.topics.results
        let reader = try await ReplyReader(configuration: runtime.consumerConfiguration, topic: replyTopic, logger: runtime.logger)
        let producer = try KafkaProducer(configuration: runtime.producerConfiguration, logger: runtime.logger)
        try await producer.prepare(topics: [config.topics.requests])
        var messages: [ChatMessage] = []
        if let system { messages.append(ChatMessage(role: "system", content: system)) }
        messages.append(ChatMessage(role: "user", content: question))
        let requestID = EventID.random()
        let deadline = Timestamp.nowMs() + Int64(timeout * 1000)
        let retrieval = collection.map { RetrievalRequest(collection: $0, topK: topK) }
        let record = RequestEvents.make(ChatRequest(model: model, messages: messages, maxTokens: maxTokens, retrieval: retrieval), apiKey: apiKey,
                                        topic: config.topics.requests, requestID: requestID, replyTo: replyTo, deadlineMs: deadline)
        let sent = ContinuousClock.now
        try await producer.send(record)
        let arrival: ReplyReader.Arrival
        do {
            arrival = try await reader.wait(for: requestID, timeout: .milliseconds(Int(timeout * 1000)))
        } catch {
            await reader.close()
            await producer.close()
            throw ValidationError("no reply within \(timeout) s for request \(requestID): is the pipeline running (switchboard run all)?")
        }
        let latency = arrival.receivedAt - sent
        await reader.close()
        await producer.close()
        let value = arrival.record.value ?? []
        if json {
            var headers: [String: String] = [:]
            for header in arrival.record.headers { headers[header.name] = header.stringValue ?? "" }
            let envelope: [String: JSONValue] = [
                "headers": .object(headers.mapValues { .string($0) }),
                "value": (try? JSONValue.parse(value)) ?? .string(String(decoding: value, as: UTF8.self)),
            ]
            print(String(decoding: EventCoding.encode(JSONValue.object(envelope)), as: UTF8.self))
            return
        }
        let reply = try EventCoding.decode(Reply.self, from: value)
        let ms = Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15
        if reply.status == .ok {
            print(reply.choices?.first?.message.content ?? "")
            print("")
            if let retrieval = reply.retrieval {
                if retrieval.sources.isEmpty {
                    print("sources: none (nothing in \(retrieval.collection) matched)")
                } else {
                    print("sources (\(retrieval.indexVersion)):")
                    for (index, source) in retrieval.sources.enumerated() {
                        print("  [\(index + 1)] \(source.documentID) chunk \(source.chunk)  score \(String(format: "%.3f", source.score))\(source.title.map { "  \($0)" } ?? "")")
                    }
                }
            }
            if let route = reply.route { print("route: tier \(route.tier) (\(route.reason))") }
            if let cache = reply.cache { print("cache: \(cache.outcome.rawValue)") }
            let usage = reply.usage
            print("model: \(reply.model ?? "?") via \(reply.provider ?? "?")  tokens: \(usage?.inputTokens ?? 0) in / \(usage?.outputTokens ?? 0) out  cost: $\(usage?.costUSD ?? "0")  latency: \(String(format: "%.1f", ms)) ms  request: \(requestID)")
        } else {
            let error = reply.error
            FileHandle.standardError.write(Data("error \(error?.code.rawValue ?? "?"): \(error?.message ?? "")\n".utf8))
            throw ExitCode(2)
        }
    }
}
