import Foundation
@testable import JSONCoding
@testable import Switchboard
import Testing

/// The events' encoder writes the document Foundation's `JSONEncoder` writes.
@Suite("Streaming JSON encoder")
struct StreamingJSONEncoderTests {
    static let reference: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Decodes `json` as `T`, encodes it with both encoders, and checks both give the same
    /// document, that the streaming one reads back to the same value, and that every key of
    /// the fixture survived (so the fixture really fills the fields it names).
    func roundTrip<T: Codable & Equatable>(_ type: T.Type, _ json: String) throws {
        let value = try JSONDecoder().decode(T.self, from: Data(json.utf8))
        let streamed = try StreamingJSONEncoder.encode(value)
        let foundation = Array(try Self.reference.encode(value))
        let parsed = try JSONValue.parse(streamed)
        #expect(parsed == (try JSONValue.parse(foundation)), "\(String(decoding: streamed, as: UTF8.self))")
        #expect(try JSONDecoder().decode(T.self, from: Data(streamed)) == value)
        #expect(Set(parsed.objectValue?.keys.map { $0 } ?? []) == Set(try JSONValue.parse(Array(json.utf8)).objectValue?.keys.map { $0 } ?? []))
    }

    @Test("every field of requests, replies and usage events is written as JSONEncoder writes it")
    func events() throws {
        // The fully populated request and reply the decoder's tests use.
        try roundTrip(ChatRequest.self, JSONBytesDecoderTests.fullRequest)
        try roundTrip(Reply.self, JSONBytesDecoderTests.fullReply)
        try roundTrip(UsageEvent.self, #"""
            {"request_id":"r-2","tenant":"acme","key_id":"k1","status":"ok","error_code":"x","stage":"completer","provider":"p","model":"m",
             "input_tokens":1,"output_tokens":2,"cost_picousd":-5,"latency_ms":3.25,"provider_latency_ms":1.5,"timestamp_ms":1767225600000,
             "deployment":"p/m","cached_input_tokens":1,"retries":1,"failover":true,"stream":true,"ttft_ms":0.75,"tier":"large",
             "route_reason":"default","cache":"miss","cache_saved_picousd":0,
             "attempts":[{"deployment":"p/m","provider":"p","status":"error","error_class":"timeout","http_status":504,"latency_ms":10}]}
            """#)
    }

    @Test("dictionaries are written with sorted keys, so equal values give equal bytes")
    func sortedDictionaries() throws {
        var timings: [String: Double] = [:]
        for i in (0..<50).shuffled() { timings["k\(i)"] = Double(i) / 4 }
        let bytes = try StreamingJSONEncoder.encode(timings)
        let text = String(decoding: bytes, as: UTF8.self)
        let keys = timings.keys.sorted()
        var position = text.startIndex
        for key in keys {
            let range = try #require(text.range(of: "\"\(key)\":", range: position..<text.endIndex), "\(key) out of order in \(text)")
            position = range.upperBound
        }
        var copy: [String: Double] = [:]
        for (key, value) in timings.reversed() { copy[key] = value }
        #expect(try StreamingJSONEncoder.encode(copy) == bytes)
    }

    @Test("fragments, empty containers, nested optionals, Foundation types and non-finite numbers")
    func edges() throws {
        #expect(String(decoding: try StreamingJSONEncoder.encode("a/b\u{7f}"), as: UTF8.self) == "\"a/b\u{7f}\"")
        #expect(String(decoding: try StreamingJSONEncoder.encode([Int]()), as: UTF8.self) == "[]")
        #expect(String(decoding: try StreamingJSONEncoder.encode([String: Int]()), as: UTF8.self) == "{}")
        #expect(String(decoding: try StreamingJSONEncoder.encode([[1, 2], [], [3]]), as: UTF8.self) == "[[1,2],[],[3]]")
        #expect(String(decoding: try StreamingJSONEncoder.encode([Int?.none, 1]), as: UTF8.self) == "[null,1]")
        #expect(String(decoding: try StreamingJSONEncoder.encode(JSONValue.object(["b": .array([]), "a": .null])), as: UTF8.self) == #"{"a":null,"b":[]}"#)
        #expect(String(decoding: try StreamingJSONEncoder.encode(1.0), as: UTF8.self) == "1")
        struct Stamped: Codable, Equatable { var at: Date; var blob: Data; var url: URL; var amount: Decimal }
        let stamped = Stamped(at: Date(timeIntervalSince1970: 1_700_000_000.5), blob: Data([0, 1, 255]),
                              url: URL(string: "https://example.com/a?b=c") ?? URL(fileURLWithPath: "/"), amount: Decimal(string: "12.75") ?? 0)
        #expect(try JSONValue.parse(StreamingJSONEncoder.encode(stamped)) == JSONValue.parse(Array(Self.reference.encode(stamped))))
        #expect(throws: EncodingError.self) { try StreamingJSONEncoder.encode(["x": Double.nan]) }
        #expect(throws: EncodingError.self) { try StreamingJSONEncoder.encode([Double.infinity]) }
        // The error names where the bad number sits.
        struct Outer: Encodable { var inner: [String: [Double]] }
        do {
            _ = try StreamingJSONEncoder.encode(Outer(inner: ["scores": [1, .nan]]))
            Issue.record("a NaN was encoded")
        } catch let EncodingError.invalidValue(_, context) {
            #expect(context.codingPath.map(\.stringValue) == ["inner", "scores", "1"])
        }
        // The same through the direct paths for [String: Double] and a lone Double, inside a
        // general dictionary, next to [String: String].
        struct Timed: Encodable { var runs: [String: [String: Double]]; var tags: [String: String]; var total: Double? }
        for (value, path) in [(Timed(runs: ["r1": ["b": 1, "a": .infinity]], tags: [:], total: 1), ["runs", "r1", "a"]),
                              (Timed(runs: [:], tags: ["k": "v"], total: .nan), ["total"])] {
            do {
                _ = try StreamingJSONEncoder.encode(value)
                Issue.record("a non-finite number was encoded")
            } catch let EncodingError.invalidValue(_, context) {
                #expect(context.codingPath.map(\.stringValue) == path)
            }
        }
        let timed = Timed(runs: ["r2": ["z": 0.5, "a": 2], "r1": [:]], tags: ["b": "x\"y", "a": "é"], total: nil)
        #expect(String(decoding: try StreamingJSONEncoder.encode(timed), as: UTF8.self) == String(decoding: try Self.reference.encode(timed), as: UTF8.self))
        // A hand-written conformance with a nested container next to plain fields.
        struct Nested: Encodable {
            enum Keys: String, CodingKey { case a, inner, z }
            enum InnerKeys: String, CodingKey { case x, list }
            func encode(to encoder: any Encoder) throws {
                var outer = encoder.container(keyedBy: Keys.self)
                try outer.encode(1, forKey: .a)
                var inner = outer.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
                try inner.encode("y", forKey: .x)
                var list = inner.nestedUnkeyedContainer(forKey: .list)
                try list.encode(true)
                try list.encodeNil()
                try outer.encode(2, forKey: .z)
            }
        }
        #expect(String(decoding: try StreamingJSONEncoder.encode(Nested()), as: UTF8.self) == #"{"a":1,"inner":{"x":"y","list":[true,null]},"z":2}"#)
        // Writing to a nested container after the parent moved on is refused, not a crash.
        struct OutOfOrder: Encodable {
            enum Keys: String, CodingKey { case a, inner, z }
            func encode(to encoder: any Encoder) throws {
                var outer = encoder.container(keyedBy: Keys.self)
                var inner = outer.nestedContainer(keyedBy: Keys.self, forKey: .inner)
                try outer.encode(1, forKey: .a)
                try inner.encode(2, forKey: .z)
            }
        }
        #expect(throws: EncodingError.self) { try StreamingJSONEncoder.encode(OutOfOrder()) }
    }
}
