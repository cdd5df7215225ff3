import Foundation
import Kafka
import ProviderSimulator
import Switchboard
import Testing

/// End-to-end behaviour of gateway + completer over the dev Kafka and a real HTTP provider.
@Suite("Pipeline end to end", .serialized, .timeLimit(.minutes(5)))
struct PipelineTests {
    @Test("a request produced by kcat (a plain librdkafka client) gets exactly one reply and one usage event")
    func kcatRequest() async throws {
        let pipeline = try await PipelineHarness.start()
        let requestID = "kcat-\(UUID().uuidString.lowercased())"
        let body = #"{"model":"auto","messages":[{"role":"user","content":"Hello from kcat"}],"max_tokens":16}"#
        let kcat = Process()
        kcat.executableURL = URL(fileURLWithPath: "/usr/bin/kcat")
        kcat.arguments = ["-b", try PipelineHarness.bootstrap(), "-P", "-t", pipeline.config.topics.requests, "-k", requestID,
                          "-H", "ce_specversion=1.0", "-H", "ce_id=\(requestID)", "-H", "ce_source=kcat",
                          "-H", "ce_type=llm.request.v1", "-H", "content-type=application/json",
                          "-H", "authorization=Bearer \(PipelineHarness.devKey)"]
        let stdin = Pipe()
        kcat.standardInput = stdin
        try kcat.run()
        stdin.fileHandleForWriting.write(Data((body + "\n").utf8))
        try stdin.fileHandleForWriting.close()
        kcat.waitUntilExit()
        #expect(kcat.terminationStatus == 0)

        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 1, settle: .seconds(2))
        let usage = try await pipeline.readAll(pipeline.config.topics.usage, atLeast: 1, settle: .milliseconds(200))
        await pipeline.stop()

        let mine = replies.filter { $0.header(CEHeader.requestID) == requestID }
        #expect(mine.count == 1)
        let reply = try #require(mine.first?.decoded(Reply.self))
        #expect(reply.status == .ok)
        #expect(reply.choices?.first?.message.content.contains("Hello from kcat") == true)
        #expect(reply.usage.map { $0.inputTokens > 0 && $0.outputTokens > 0 } == true)
        #expect(pipeline.contractViolations(mine[0], contract: "llm.results.v1") == [])
        let myUsage = usage.filter { $0.header(CEHeader.requestID) == requestID }
        #expect(myUsage.count == 1)
        let event = try #require(myUsage.first?.decoded(UsageEvent.self))
        #expect(event.tenant == "acme" && event.keyID == "acme-key" && event.status == .ok)
        // Cost is exactly the price table applied to the provider's reported usage.
        #expect(event.costPicoUSD == Int64(event.inputTokens) * 150_000 + Int64(event.outputTokens) * 600_000)
        #expect(pipeline.contractViolations(myUsage[0], contract: "llm.usage.v1") == [])
    }

    @Test("1,000 requests: 1,000 ok replies, no duplicates, offsets committed at the end of the input topics")
    func thousandRequests() async throws {
        let pipeline = try await PipelineHarness.start()
        let ids = (0..<1000).map { "req-\($0)-\(UUID().uuidString.prefix(8))" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask { try await pipeline.producer.send(pipeline.request("question \(id)", requestID: id)) }
            }
            try await group.waitForAll()
        }
        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 1000, settle: .seconds(2), timeout: .seconds(120))
        let usage = try await pipeline.readAll(pipeline.config.topics.usage, atLeast: 1000, settle: .milliseconds(200), timeout: .seconds(60))
        // Let the runners' periodic commits land, then stop them (which commits again).
        await pipeline.stop()

        let replyIDs = replies.compactMap { $0.header(CEHeader.requestID) }
        #expect(replies.count == 1000)
        #expect(Set(replyIDs) == Set(ids))
        let failures = replies.compactMap { $0.decoded(Reply.self) }.filter { $0.status != .ok }
        #expect(failures.isEmpty, "\(failures.count) failed, e.g. \(failures.prefix(3).map { "\($0.error?.code.rawValue ?? "?"): \($0.error?.message ?? "")" })")
        #expect(usage.count == 1000)
        let sampleViolations = replies.prefix(50).flatMap { pipeline.contractViolations($0, contract: "llm.results.v1") }
        #expect(sampleViolations == [])

        for (role, topic) in [(StageRole.gateway, pipeline.config.topics.requests), (.completer, pipeline.config.topics.complete)] {
            let offsets = try await pipeline.committedAndEnd(role: role, topic: topic)
            #expect(offsets.committed.count == offsets.end.count)
            for (partition, end) in offsets.end where end > 0 {
                #expect(offsets.committed[partition] == end, "\(role) \(partition): committed \(offsets.committed[partition] ?? -1), end \(end)")
            }
        }
        // Every request reached the provider exactly once.
        #expect(pipeline.simulator.stats().requestsByRequestId.values.allSatisfy { $0 == 1 })
    }

    @Test("an unknown or missing key gets an unauthorized reply and the provider is never called")
    func unauthorized() async throws {
        let pipeline = try await PipelineHarness.start()
        let badID = "bad-\(UUID().uuidString)"
        let missingID = "missing-\(UUID().uuidString)"
        try await pipeline.producer.send(pipeline.request("hi", key: "sk-not-a-key", requestID: badID))
        var noKey = pipeline.request("hi", requestID: missingID)
        noKey.headers.removeAll { $0.name == CEHeader.authorization }
        try await pipeline.producer.send(noKey)
        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 2)
        await pipeline.stop()
        for id in [badID, missingID] {
            let reply = try #require(replies.first { $0.header(CEHeader.requestID) == id }?.decoded(Reply.self))
            #expect(reply.status == .error && reply.error?.code == .unauthorized)
        }
        #expect(pipeline.simulator.stats().requestsByRequestId[badID] == nil)
        #expect(pipeline.simulator.stats().requestsByRequestId[missingID] == nil)
    }

    @Test("a reply topic the tenant may not use is refused; an allowed custom one is used")
    func replyTopics() async throws {
        let pipeline = try await PipelineHarness.start()
        let custom = pipeline.config.topics.results + ".custom"
        let allowedID = "allowed-\(UUID())"
        let deniedID = "denied-\(UUID())"
        try await pipeline.producer.send(pipeline.request("hi", requestID: allowedID, replyTo: custom))
        try await pipeline.producer.send(pipeline.request("hi", requestID: deniedID, replyTo: "llm.usage.v1"))
        let customReplies = try await pipeline.readAll(custom, atLeast: 1)
        let defaultReplies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 1)
        await pipeline.stop()
        #expect(customReplies.first { $0.header(CEHeader.requestID) == allowedID }?.decoded(Reply.self)?.status == .ok)
        let denied = try #require(defaultReplies.first { $0.header(CEHeader.requestID) == deniedID }?.decoded(Reply.self))
        #expect(denied.error?.code == .forbidden)
    }

    @Test("a provider answering 500 gives a provider_error reply, and the record is committed")
    func providerFailure() async throws {
        var sim = SimulatorConfiguration()
        sim.defaultBehaviour.errorRates = [500: 1.0]
        let pipeline = try await PipelineHarness.start(simulatorConfiguration: sim)
        let id = "fail-\(UUID())"
        try await pipeline.producer.send(pipeline.request("hi", requestID: id))
        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 1)
        let usage = try await pipeline.readAll(pipeline.config.topics.usage, atLeast: 1, settle: .zero)
        await pipeline.stop()
        let reply = try #require(replies.first?.decoded(Reply.self))
        #expect(reply.requestID == id && reply.status == .error && reply.error?.code == .providerError)
        #expect(usage.first?.decoded(UsageEvent.self)?.errorCode == "provider_error")
        let offsets = try await pipeline.committedAndEnd(role: .completer, topic: pipeline.config.topics.complete)
        for (partition, end) in offsets.end where end > 0 {
            #expect(offsets.committed[partition] == end)
        }
    }

    @Test("a provider that cannot be reached gives a provider_unavailable reply")
    func providerDown() async throws {
        let pipeline = try await PipelineHarness.start(providerURL: "http://127.0.0.1:9")
        let id = "down-\(UUID())"
        try await pipeline.producer.send(pipeline.request("hi", requestID: id))
        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: 1)
        await pipeline.stop()
        let reply = try #require(replies.first?.decoded(Reply.self))
        #expect(reply.error?.code == .providerUnavailable)
        #expect(reply.error?.message.contains("127.0.0.1") == true)
    }
}
