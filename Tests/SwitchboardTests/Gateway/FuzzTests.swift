import Foundation
import HTTPClient
import Kafka
import Switchboard
import Testing

/// Thousands of generated bad requests: each gets exactly one error reply or dead letter (over
/// Kafka) or one error response (over HTTP), nothing reaches a provider, and the process stays
/// healthy and keeps answering good requests.
@Suite("Fuzzing the gateway", .serialized, .timeLimit(.minutes(10)))
struct FuzzTests {
    static let kafkaCount = 10_000
    static let httpCount = 10_000

    @Test("10,000 bad records over Kafka: one error reply or dead letter each, no provider call")
    func kafka() async throws {
        let pipeline = try await PipelineHarness.start(withRedis: true)
        var generator = BadRequestGenerator(seed: 7, key: PipelineHarness.devKey)
        var sent: [(kind: String, id: String?, partition: Int32, offset: Int64)] = []
        let batch = 500
        var index = 0
        while index < Self.kafkaCount {
            let records = (index..<min(index + batch, Self.kafkaCount)).map { i -> (String, String?, KafkaOutgoingRecord) in
                let bad = generator.next()
                let id = bad.includeID ? "fuzz-\(i)-\(pipeline.id)" : nil
                var headers = [KafkaHeader(CEHeader.specVersion, "1.0"), KafkaHeader(CEHeader.type, bad.type), KafkaHeader(CEHeader.source, "fuzz")]
                if let id { headers.append(KafkaHeader(CEHeader.id, id)) }
                if let authorization = bad.authorization { headers.append(KafkaHeader(CEHeader.authorization, authorization)) }
                return (bad.kind, id, KafkaOutgoingRecord(topic: pipeline.config.topics.requests, key: id.map { Array($0.utf8) }, value: bad.body, headers: headers))
            }
            let reports = try await withThrowingTaskGroup(of: (Int, KafkaDeliveryReport).self) { group in
                for (n, record) in records.enumerated() { group.addTask { (n, try await pipeline.producer.send(record.2)) } }
                return try await group.reduce(into: [Int: KafkaDeliveryReport]()) { $0[$1.0] = $1.1 }
            }
            for (n, record) in records.enumerated() {
                guard let report = reports[n] else { continue }
                sent.append((record.0, record.1, report.partition, report.offset))
            }
            index += batch
        }
        let goodID = "fuzz-good-\(pipeline.id)"
        try await pipeline.producer.send(pipeline.request("still healthy?", requestID: goodID))
        let withID = sent.filter { $0.id != nil }.count
        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: Self.kafkaCount + 1, settle: .seconds(1), timeout: .seconds(180))
        // Every dead letter produced by now, to the end of the topic: it has one partition, which
        // the dev broker serves one batch per fetch, so a fixed reading time would not do.
        let letters = try await pipeline.readToEnd(pipeline.config.topics.deadLetter)
        let forwarded = try await pipeline.readAll(pipeline.config.topics.complete, atLeast: 1, settle: .milliseconds(200), timeout: .seconds(5))
        let providerCalls = pipeline.simulator.stats().totalRequests
        await pipeline.stop()

        var repliesByID: [String: Int] = [:]
        var goodReply: Reply?
        for record in replies {
            guard let reply = record.decoded(Reply.self) else { continue }
            repliesByID[reply.requestID, default: 0] += 1
            if reply.requestID == goodID { goodReply = reply } else { #expect(reply.status == .error) }
        }
        var lettersByOffset: [String: Int] = [:]
        for letter in letters {
            lettersByOffset["\(letter.header(DeadLetterHeader.sourcePartition) ?? "")/\(letter.header(DeadLetterHeader.sourceOffset) ?? "")", default: 0] += 1
        }
        var lost: [String] = [], doubled: [String] = []
        for item in sent {
            let answered = item.id.flatMap { repliesByID[$0] } ?? 0
            let dead = lettersByOffset["\(item.partition)/\(item.offset)"] ?? 0
            if answered + dead == 0 { lost.append(item.kind) }
            if answered > 1 || dead > 1 { doubled.append(item.kind) }
        }
        #expect(sent.count == Self.kafkaCount && withID > 0)
        #expect(lost.isEmpty, "lost: \(Dictionary(grouping: lost, by: { $0 }).mapValues(\.count))")
        #expect(doubled.isEmpty, "answered twice: \(Dictionary(grouping: doubled, by: { $0 }).mapValues(\.count))")
        // Only the one good request went past the gateway and reached the provider.
        #expect(forwarded.count == 1)
        #expect(providerCalls == 1)
        #expect(goodReply?.status == .ok)
    }

    @Test("10,000 bad calls over HTTP: one error response each, with a code; no provider call; still healthy")
    func http() async throws {
        let ingress = try await IngressHarness.start()
        var generator = BadRequestGenerator(seed: 11, key: PipelineHarness.devKey)
        let calls = (0..<Self.httpCount).map { _ in generator.next(http: true) }
        let statuses = try await withThrowingTaskGroup(of: (String, Int, String?).self) { group in
            var results: [(String, Int, String?)] = []
            var next = 0
            func add() {
                let bad = calls[next]
                next += 1
                group.addTask {
                    let response = try await ingress.post(body: bad.body, authorization: bad.authorization)
                    let code = (try? JSONValue.parse(response.body))?["error"]?["code"]?.stringValue
                    return (bad.kind, response.status, code)
                }
            }
            for _ in 0..<min(64, calls.count) { add() }
            while let result = try await group.next() {
                results.append(result)
                if next < calls.count { add() }
            }
            return results
        }
        let health = try await ingress.get("/healthz")
        let good = try await ingress.post(body: Array(BadRequestGenerator.valid.utf8))
        let providerCalls = ingress.pipeline.simulator.stats().totalRequests
        await ingress.stop()

        #expect(statuses.count == Self.httpCount)
        let wrong = statuses.filter { !(400...499).contains($0.1) || $0.2 == nil }
        #expect(wrong.isEmpty, "\(wrong.prefix(10))")
        #expect(health.status == 200)
        #expect(good.status == 200)
        #expect(providerCalls == 1)
    }
}
