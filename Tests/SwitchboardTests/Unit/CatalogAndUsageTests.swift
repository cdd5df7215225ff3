import Foundation
import Testing
@testable import Switchboard

@Suite("price table, usage report, server-sent events")
struct CatalogAndUsageTests {
    @Test("a LiteLLM price table converts exactly to pico-USD per token")
    func liteLLMPrices() throws {
        let json = """
        {
          "sample_spec": {"input_cost_per_token": "see docs", "max_tokens": "LEGACY"},
          "gpt-4o-mini": {"input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07, "cache_read_input_token_cost": 7.5e-08,
                          "max_input_tokens": 128000, "litellm_provider": "openai", "mode": "chat"},
          "claude-sonnet-4-5": {"input_cost_per_token": 3e-06, "output_cost_per_token": 0.000015, "cache_read_input_token_cost": 3e-07,
                                "max_input_tokens": 200000, "litellm_provider": "anthropic"},
          "odd": {"input_cost_per_token": 1.23456789e-10, "output_cost_per_token": 0}
        }
        """
        #expect(throws: ConfigError.self) { try LiteLLMPriceTable(json: Data(json.utf8)) }
        let table = try LiteLLMPriceTable(json: Data(json.replacingOccurrences(of: "1.23456789e-10", with: "1.2e-11").utf8))
        let mini = try #require(table.entries["gpt-4o-mini"])
        #expect(mini.inputPrice.picoUSDPerToken == 150_000)
        #expect(mini.outputPrice.picoUSDPerToken == 600_000)
        #expect(mini.cachedInputPrice?.picoUSDPerToken == 75_000)
        #expect(mini.contextWindow == 128_000)
        #expect(table.entries["claude-sonnet-4-5"]?.outputPrice.picoUSDPerToken == 15_000_000)
        #expect(table.entries["odd"]?.inputPrice.picoUSDPerToken == 12)
        #expect(table.entries["sample_spec"] == nil)
        // The same prices written per million tokens in the config agree exactly.
        #expect(Price(usdPerMillionTokens: "0.15") == mini.inputPrice)
        let models = table.models(provider: "sim", litellmProvider: "openai")
        #expect(models.map(\.name) == ["gpt-4o-mini"])
    }

    @Test("models without prices in the config take them from the price table")
    func priceTableFillsCatalog() throws {
        let path = NSTemporaryDirectory() + "prices-\(UUID()).json"
        try #"{"gpt-4o-mini": {"input_cost_per_token": 1.5e-07, "output_cost_per_token": 6e-07, "max_input_tokens": 128000}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let config = try SwitchboardConfig.parse("""
        price_table: \(path)
        providers: [{name: sim, base_url: "http://127.0.0.1:1"}]
        models:
          - {name: small, provider: sim, provider_model: gpt-4o-mini}
          - {name: fixed, provider: sim, input_usd_per_mtok: "1", output_usd_per_mtok: "2"}
        """)
        #expect(config.models[0].inputPrice.picoUSDPerToken == 150_000)
        #expect(config.models[0].contextWindow == 128_000)
        #expect(config.models[1].inputPrice.picoUSDPerToken == 1_000_000)
        // Cached input is billed at its own price.
        var model = config.models[0]
        model.cachedInputPrice = Price(picoUSDPerToken: 75_000)
        #expect(ModelCatalog.cost(model, inputTokens: 100, outputTokens: 10, cachedInputTokens: 40) == 60 * 150_000 + 40 * 75_000 + 10 * 600_000)
    }

    @Test("the usage report groups, counts a request id once, sums cost exactly")
    func usageReport() {
        func event(_ id: String, tenant: String, status: Reply.Status, cost: Int64, latency: Double, cached: Int = 0) -> UsageEvent {
            var e = UsageEvent(requestID: id, tenant: tenant, keyID: "k", status: status, errorCode: nil, stage: "completer", provider: "sim",
                               model: "m", inputTokens: 100, outputTokens: 10, costPicoUSD: cost, latencyMs: latency,
                               providerLatencyMs: nil, timestampMs: 1_767_225_600_000)
            e.cachedInputTokens = cached
            return e
        }
        var report = UsageReport(dimensions: [.tenant, .day])
        report.add(event("1", tenant: "a", status: .ok, cost: 7, latency: 10, cached: 50))
        report.add(event("2", tenant: "a", status: .error, cost: 0, latency: 30))
        let counted = report.add(event("1", tenant: "a", status: .ok, cost: 7, latency: 10))
        #expect(!counted, "a re-emitted event counts once")
        report.add(event("3", tenant: "b", status: .ok, cost: 5, latency: 20))
        let rows = report.sortedRows
        #expect(rows.map(\.key) == [["a", "2026-01-01"], ["b", "2026-01-01"]])
        #expect(rows[0].requests == 2 && rows[0].failures == 1 && rows[0].costPicoUSD == 7)
        #expect(rows[0].cacheHitRate == 0.25)
        #expect(rows[0].latencyPercentile(95) == 30)
        let csv = report.render(.csv)
        #expect(csv.hasPrefix("tenant,day,requests,failures"))
        #expect(report.render(.json).contains("\"cost_picousd\" : 7"))
    }

    @Test("a stored answer, encoded once for Kafka and Redis, reads back unchanged")
    func storedAnswerRoundTrip() throws {
        var usage = UsageEvent(requestID: "r\"1", tenant: "t", keyID: "k", status: .ok, errorCode: nil, stage: "completer", provider: "sim",
                               model: "m", inputTokens: 3, outputTokens: 4, costPicoUSD: 5, latencyMs: 1.5, providerLatencyMs: 1, timestampMs: 9)
        usage.attempts = [Attempt(deployment: "sim/m", provider: "sim", status: .ok, errorClass: nil, httpStatus: nil, latencyMs: 1)]
        let answer = StoredAnswer(replyTo: "results \"x\"", reply: Reply(requestID: "r\"1", status: .ok, usage: Usage(inputTokens: 3, outputTokens: 4, costPicoUSD: 5)),
                                  usage: usage)
        let encoded = answer.encoded()
        #expect(try EventCoding.decode(StoredAnswer.self, from: encoded.stored) == answer)
        #expect(try EventCoding.decode(Reply.self, from: encoded.reply) == answer.reply)
    }

    @Test("server-sent events survive arbitrary chunk boundaries")
    func sse() {
        let text = "event: message_start\r\ndata: {\"a\":1}\r\n\r\n: comment\n\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n"
        var parser = ServerSentEvents()
        var events: [ServerSentEvents.Event] = []
        for byte in Array(text.utf8) { events += parser.feed([byte]) }
        #expect(events == [.init(name: "message_start", data: "{\"a\":1}"), .init(name: nil, data: "line1\nline2"), .init(name: nil, data: "[DONE]")])
    }
}

@Suite("Budget calendar")
struct BudgetCalendarTests {
    @Test("day and month labels and the time to their ends agree with Foundation's Gregorian calendar")
    func agreesWithFoundation() {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(secondsFromGMT: 0) ?? utc.timeZone
        // Month ends, leap days (2024, 2000, not 2100), year ends, the epoch, and a spread of instants.
        var instants: [Int64] = [0, 1, 86_399_999, 86_400_000, 951_782_399_999, 951_782_400_000, 1_709_164_800_000,
                                 1_709_251_199_999, 1_735_689_599_999, 1_735_689_600_000, 4_107_542_399_999, 4_107_542_400_000]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 { instants.append(Int64.random(in: 0...4_200_000_000_000, using: &generator)) }
        for nowMs in instants {
            let now = Date(timeIntervalSince1970: Double(nowMs) / 1000)
            let parts = utc.dateComponents([.year, .month, .day], from: now)
            let (year, month, day) = (parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
            let nextDay = utc.date(byAdding: .day, value: 1, to: utc.startOfDay(for: now)) ?? now
            let nextMonth = utc.date(byAdding: .month, value: 1, to: utc.date(from: DateComponents(year: year, month: month, day: 1)) ?? now) ?? now
            func ms(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) - nowMs }
            let labels = RateLimiter.calendar(nowMs)
            #expect(labels.day == String(format: "%04d%02d%02d", year, month, day), "at \(nowMs)")
            #expect(labels.month == String(format: "%04d%02d", year, month), "at \(nowMs)")
            #expect(labels.toNextDay == max(1, ms(nextDay)), "at \(nowMs)")
            #expect(labels.toNextMonth == max(1, ms(nextMonth)), "at \(nowMs)")
        }
    }
}

@Suite("Event timestamps")
struct EventTimestampTests {
    @Test("ce_time and log timestamps read as Foundation's ISO 8601 with milliseconds, in UTC")
    func agreesWithFoundation() {
        var generator = SystemRandomNumberGenerator()
        var instants: [Int64] = [0, 999, 951_782_400_000, 1_767_225_599_999, 4_107_542_400_000]
        for _ in 0..<2000 { instants.append(Int64.random(in: 0...4_200_000_000_000, using: &generator)) }
        for ms in instants {
            let text = Timestamp.iso8601(Date(timeIntervalSince1970: Double(ms) / 1000))
            // Foundation's style for the whole second (an exact Date), then the milliseconds:
            // Foundation truncates the binary fraction of a Date, which can drop a millisecond.
            let second = Date(timeIntervalSince1970: Double(ms / 1000)).formatted(
                .iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: true)
                    .timeSeparator(.colon).timeZone(separator: .omitted))
            #expect(text == second.dropLast(4) + String(format: "%03d", Int(ms % 1000)) + "Z", "at \(ms)")
        }
    }
}
