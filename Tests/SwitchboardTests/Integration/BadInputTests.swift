import Foundation
import Kafka
@testable import ProviderSimulator
import Switchboard
import Testing

/// Garbage in: every record gets an error reply or a dead letter, nothing crashes, and the
/// pipeline keeps answering good requests afterwards.
@Suite("Bad input at the gateway", .serialized, .timeLimit(.minutes(5)))
struct BadInputTests {
    /// A deterministic generator so a failing case can be replayed.
    struct Case {
        var name: String
        var record: KafkaOutgoingRecord
        var requestID: String?
        var expectDeadLetter: Bool
        var expectCode: ReplyError.Code?
    }

    func cases(_ pipeline: PipelineHarness) -> [Case] {
        let topic = pipeline.config.topics.requests
        var rng = SplitMix64(seed: 42)
        func record(_ value: [UInt8]?, id: String?, auth: Bool = true, extra: [KafkaHeader] = []) -> KafkaOutgoingRecord {
            var headers = [KafkaHeader("ce_specversion", "1.0"), KafkaHeader("ce_type", "llm.request.v1")] + extra
            if let id { headers.append(KafkaHeader(CEHeader.id, id)) }
            if auth { headers.append(KafkaHeader(CEHeader.authorization, "Bearer \(PipelineHarness.devKey)")) }
            return KafkaOutgoingRecord(topic: topic, key: id.map { Array($0.utf8) }, value: value, headers: headers)
        }
        func id(_ name: String) -> String { "\(name)-\(UUID().uuidString.prefix(8))" }
        var all: [Case] = []
        func add(_ name: String, _ value: [UInt8]?, dead: Bool, code: ReplyError.Code?, withID: Bool = true, auth: Bool = true, extra: [KafkaHeader] = []) {
            let requestID = withID ? id(name) : nil
            all.append(Case(name: name, record: record(value, id: requestID, auth: auth, extra: extra), requestID: requestID,
                            expectDeadLetter: dead, expectCode: code))
        }
        let valid = Array(#"{"messages":[{"role":"user","content":"hi"}]}"#.utf8)
        add("random-bytes", (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }, dead: true, code: .invalidRequest)
        // A 10 MB prompt of text: the submitter compresses it (lz4), as a real one would have to.
        add("ten-megabytes", Array(("{\"messages\":[{\"role\":\"user\",\"content\":\"" + String(repeating: "lorem ipsum ", count: 873_814) + "\"}]}").utf8),
            dead: true, code: .payloadTooLarge)
        add("empty-value", [], dead: true, code: .invalidRequest)
        add("tombstone", nil, dead: true, code: .invalidRequest)
        add("no-headers-at-all", valid, dead: true, code: nil, withID: false, auth: false)
        add("missing-ce-id", valid, dead: true, code: nil, withID: false)
        add("missing-auth", valid, dead: false, code: .unauthorized, auth: false)
        add("messages-is-a-string", Array(#"{"messages":"hi"}"#.utf8), dead: true, code: .invalidRequest)
        add("unknown-role", Array(#"{"messages":[{"role":"wizard","content":"hi"}]}"#.utf8), dead: true, code: .invalidRequest)
        add("negative-max-tokens", Array(#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":-5}"#.utf8), dead: true, code: .invalidRequest)
        add("absurd-max-tokens", Array(#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":100000000}"#.utf8), dead: false, code: .invalidRequest)
        add("temperature-string", Array(#"{"messages":[{"role":"user","content":"hi"}],"temperature":"hot"}"#.utf8), dead: true, code: .invalidRequest)
        add("invalid-utf8", Array(#"{"messages":[{"role":"user","content":""#.utf8) + [0xC3, 0x28, 0xFF] + Array(#""}]}"#.utf8), dead: true, code: .invalidRequest)
        add("json-array", Array("[1,2,3]".utf8), dead: true, code: .invalidRequest)
        add("no-messages", Array(#"{"model":"auto"}"#.utf8), dead: true, code: .invalidRequest)
        add("empty-messages", Array(#"{"messages":[]}"#.utf8), dead: true, code: .invalidRequest)
        add("bad-deadline", valid, dead: false, code: .invalidRequest, extra: [KafkaHeader(CEHeader.deadline, "tomorrow")])
        add("past-deadline", valid, dead: false, code: .deadlineExceeded, extra: [KafkaHeader(CEHeader.deadline, "1000")])
        add("too-many-messages", Array(("{\"messages\":[" + Array(repeating: #"{"role":"user","content":"x"}"#, count: 300).joined(separator: ",") + "]}").utf8),
            dead: false, code: .invalidRequest)
        // Random mutations of a valid request: truncations and flipped bytes.
        for n in 0..<60 {
            var bytes = Array(#"{"model":"auto","messages":[{"role":"user","content":"hello"}],"max_tokens":16}"#.utf8)
            if n % 2 == 0 {
                bytes = Array(bytes.prefix(Int.random(in: 1..<(bytes.count - 1), using: &rng)))
            } else {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            let requestID = id("mutation-\(n)")
            all.append(Case(name: "mutation-\(n)", record: record(bytes, id: requestID), requestID: requestID,
                            expectDeadLetter: false, expectCode: nil))
        }
        return all
    }

    @Test("garbage records each get an error reply or a dead letter, and the pipeline stays healthy")
    func garbage() async throws {
        let pipeline = try await PipelineHarness.start()
        let all = cases(pipeline)
        var offsets: [String: (Int32, Int64)] = [:]
        for item in all {
            let report = try await pipeline.producer.send(item.record)
            offsets[item.name] = (report.partition, report.offset)
        }
        let goodID = "good-after-garbage-\(UUID())"
        try await pipeline.producer.send(pipeline.request("still there?", requestID: goodID))

        let replies = try await pipeline.readAll(pipeline.config.topics.results, atLeast: all.count - 2 + 1, settle: .seconds(2))
        let letters = try await pipeline.readAll(pipeline.config.topics.deadLetter, atLeast: all.filter(\.expectDeadLetter).count)
        await pipeline.stop()

        var repliesByID: [String: [Reply]] = [:]
        for record in replies {
            if let reply = record.decoded(Reply.self) { repliesByID[reply.requestID, default: []].append(reply) }
        }
        let lettersByOffset = Dictionary(grouping: letters) { record in
            "\(record.header(DeadLetterHeader.sourcePartition) ?? "")/\(record.header(DeadLetterHeader.sourceOffset) ?? "")"
        }
        for item in all {
            let (partition, offset) = offsets[item.name]!
            let letter = lettersByOffset["\(partition)/\(offset)"] ?? []
            let answered = item.requestID.flatMap { repliesByID[$0] } ?? []
            // Accounted for: at least one of the two, and never more than one of each.
            #expect(!letter.isEmpty || !answered.isEmpty, "\(item.name) was lost")
            #expect(letter.count <= 1 && answered.count <= 1, "\(item.name) was answered twice")
            if item.expectDeadLetter { #expect(letter.count == 1, "\(item.name) should be dead-lettered") }
            if let code = item.expectCode {
                #expect(answered.first?.error?.code == code, "\(item.name): \(answered.first?.error?.code.rawValue ?? "no reply")")
            }
            // A dead letter keeps the original bytes and never the credential.
            if let first = letter.first {
                #expect(first.value == item.record.value || (first.value == nil && item.record.value?.isEmpty != false),
                        "\(item.name): the dead letter does not carry the original bytes")
                #expect(!first.headers.contains { $0.name == CEHeader.authorization })
                #expect(first.header(DeadLetterHeader.stage) == "gateway")
                #expect(first.header(DeadLetterHeader.reason)?.isEmpty == false)
            }
        }
        #expect(repliesByID[goodID]?.first?.status == .ok)
        #expect(replies.allSatisfy { pipeline.contractViolations($0, contract: "llm.results.v1").isEmpty })
    }
}
