import Foundation
import HTTPClient
import Kafka
import Switchboard
import Testing

/// Where the HTTP ingress's calls are admitted: in the ingress itself (`gateway.admit_at_ingress`,
/// the default) or by the gateway stage behind the requests topic.
@Suite("HTTP ingress admission", .serialized, .timeLimit(.minutes(5)))
struct IngressAdmissionTests {
    static func content(_ response: HTTPResponse) -> String? {
        (try? JSONValue.parse(response.body))?["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue
    }

    @Test("the ingress admits calls itself: nothing on the requests topic, no credential past it, a call over the limit answered 429 with its usage event")
    func admitsInPlace() async throws {
        try await MinuteWindow.awayFromBoundary()
        let ingress = try await IngressHarness.start(tenantExtra: "limits: {requests_per_minute: 2}")
        let topics = ingress.pipeline.config.topics
        var responses: [HTTPResponse] = []
        for i in 0..<3 {
            let body = Array(#"{"model":"small","messages":[{"role":"user","content":"call \#(i)"}],"max_tokens":16}"#.utf8)
            responses.append(try await ingress.post(body: body))
        }
        let forwarded = try await ingress.pipeline.readAll(topics.complete, atLeast: 2, settle: .milliseconds(300), timeout: .seconds(10))
        let usage = try await ingress.pipeline.readAll(topics.usage, atLeast: 3, settle: .milliseconds(300), timeout: .seconds(10))
        let requests = try await ingress.pipeline.readAll(topics.requests, atLeast: 1, settle: .zero, timeout: .seconds(2))
        await ingress.stop()

        #expect(responses.map(\.status) == [200, 200, 429], "\(responses.map(\.bodyText))")
        #expect(responses[2].headers.first("retry-after") != nil)
        #expect(requests.isEmpty, "calls admitted at the ingress never travel the requests topic")
        #expect(forwarded.count == 2)
        for record in forwarded {
            #expect(ingress.pipeline.contractViolations(record, contract: "llm.complete.v1").isEmpty)
            #expect(!record.headers.contains { $0.name.lowercased() == CEHeader.authorization })
            #expect(record.header(CEHeader.replyTo) == ingress.replyTopic)
        }
        let events = usage.compactMap { $0.value.flatMap { try? JSONValue.parse($0) } }
        let limited = events.filter { $0["error_code"]?.stringValue == "rate_limited" }
        #expect(limited.count == 1, "\(events)")
        #expect(limited.first?["stage"]?.stringValue == "gateway")
        #expect(limited.first?["tenant"]?.stringValue == "acme")
    }

    @Test("with gateway.admit_at_ingress off the calls travel the requests topic to the gateway stage and get the same answers")
    func throughTheGatewayStage() async throws {
        let bodies = (0..<3).map { Array(#"{"model":"small","messages":[{"role":"user","content":"same question \#($0)"}],"max_tokens":16}"#.utf8) }
        var answers: [[String?]] = []
        var requestRecords: [Int] = []
        for extra in ["", "admit_at_ingress: false"] {
            let ingress = try await IngressHarness.start(gatewayExtra: extra)
            var contents: [String?] = []
            for body in bodies {
                let response = try await ingress.post(body: body)
                #expect(response.status == 200, "\(extra): \(response.bodyText)")
                contents.append(Self.content(response))
            }
            let requests = try await ingress.pipeline.readAll(ingress.pipeline.config.topics.requests, atLeast: bodies.count,
                                                               settle: .zero, timeout: extra.isEmpty ? .seconds(2) : .seconds(10))
            await ingress.stop()
            answers.append(contents)
            requestRecords.append(requests.count)
        }
        #expect(answers[0].allSatisfy { $0?.isEmpty == false })
        #expect(answers[0] == answers[1])
        #expect(requestRecords == [0, bodies.count])
    }

    @Test("behind an ingress that admits, the completer and settlement stages alone answer, and settlement frees each call's slot; the same with both stages inside the ingress process (serve --stages)",
          arguments: [false, true])
    func completerAndSettlementOnly(inServe: Bool) async throws {
        let stages: [StageRole] = [.completer, .settlement]
        let ingress = try await IngressHarness.start(tenantExtra: "limits: {max_concurrent: 1}", roles: inServe ? [] : stages,
                                                     serveStages: inServe ? stages : [])
        var statuses: [Int] = []
        for i in 0..<4 {
            let body = Array(#"{"model":"small","messages":[{"role":"user","content":"one at a time \#(i)"}],"max_tokens":16}"#.utf8)
            // The slot is freed when settlement reads the call's usage event, a moment after the
            // answer; without settlement it would stay taken for the call's deadline plus 5 s.
            var response = try await ingress.post(body: body)
            let deadline = ContinuousClock.now + .seconds(10)
            while response.status == 429 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                response = try await ingress.post(body: body)
            }
            statuses.append(response.status)
        }
        await ingress.stop()
        #expect(statuses == [200, 200, 200, 200])
    }

    @Test("an exact cache hit is answered by the ingress itself: no record to the completer, no provider call, the same answer, a usage event with the hit")
    func cacheHitAtTheIngress() async throws {
        let ingress = try await IngressHarness.start()
        let topics = ingress.pipeline.config.topics
        let body = Array(#"{"model":"small","messages":[{"role":"user","content":"asked twice"}],"max_tokens":16,"temperature":0}"#.utf8)
        let first = try await ingress.post(body: body)
        // The completer stores the answer before it produces the reply, so it is there now.
        let second = try await ingress.post(body: body)
        let forwarded = try await ingress.pipeline.readAll(topics.complete, atLeast: 2, settle: .milliseconds(300), timeout: .seconds(3))
        let usage = try await ingress.pipeline.readAll(topics.usage, atLeast: 2, settle: .milliseconds(300), timeout: .seconds(10))
        let providerCalls = ingress.pipeline.simulator.stats().totalRequests
        await ingress.stop()

        #expect(first.status == 200 && second.status == 200, "\(first.bodyText) \(second.bodyText)")
        #expect(Self.content(first) != nil)
        #expect(Self.content(second) == Self.content(first))
        #expect(forwarded.count == 1, "only the first call reaches the completer")
        #expect(providerCalls == 1)
        let events = usage.compactMap { $0.value.flatMap { try? JSONValue.parse($0) } }
        #expect(events.count == 2)
        #expect(events.contains { $0["stage"]?.stringValue == "gateway" && $0["cache"]?.stringValue == "hit" }, "\(events)")
    }
}
