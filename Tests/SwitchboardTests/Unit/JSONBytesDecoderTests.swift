import Foundation
@testable import JSONCoding
@testable import ProviderSimulator
@testable import Switchboard
import Testing

/// The bytes decoder reads what Foundation's `JSONDecoder` reads, fails where it fails (with the
/// same kind of error), and rejects malformed documents even where `JSONDecoder` does not look.
@Suite("JSON bytes decoder")
struct JSONBytesDecoderTests {
    /// A decoding outcome both decoders can be compared on: the value, or the error's kind, the
    /// type it names and its coding path (`dataCorrupted` without a path: for numbers out of
    /// range this decoder names the value's path where JSONDecoder gives none).
    enum Outcome<T>: CustomStringConvertible {
        case value(T)
        case error(String)

        var description: String {
            switch self {
            case .value(let value): "value \(value)"
            case .error(let error): "error \(error)"
            }
        }

        var failed: Bool {
            if case .error = self { return true }
            return false
        }

        var isDataCorrupted: Bool {
            if case .error(let error) = self { return error.hasPrefix("dataCorrupted") }
            return false
        }
    }

    static func describe(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            "[" + context.codingPath.map { key in key.intValue.map { "\(key.stringValue)#\($0)" } ?? key.stringValue }.joined(separator: ", ") + "]"
        }
        switch error {
        case DecodingError.typeMismatch(let type, let context): return "typeMismatch(\(type)) \(path(context))"
        case DecodingError.valueNotFound(let type, let context): return "valueNotFound(\(type)) \(path(context))"
        case DecodingError.keyNotFound(let key, let context): return "keyNotFound(\(key.stringValue)) \(path(context))"
        case DecodingError.dataCorrupted: return "dataCorrupted"
        // Inside `init(from:)`, JSONDecoder's errors about a number's value are its internal
        // JSONError (made dataCorrupted only at the top level); this decoder throws dataCorrupted.
        case _ where "\(type(of: error))" == "JSONError": return "dataCorrupted"
        default: return "other \(error)"
        }
    }

    static func foundation<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> Outcome<T> {
        do { return .value(try JSONDecoder().decode(T.self, from: Data(bytes))) } catch { return .error(describe(error)) }
    }

    static func bytesDecoder<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> Outcome<T> {
        do { return .value(try JSONBytesDecoder.decode(T.self, from: bytes)) } catch { return .error(describe(error)) }
    }

    /// Both decoders give equal values (`same`), or errors of the same kind at the same path.
    func expectSame<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], same: (T, T) -> Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = Self.foundation(T.self, bytes), actual = Self.bytesDecoder(T.self, bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        switch (expected, actual) {
        case (.value(let expected), .value(let actual)):
            #expect(same(expected, actual), "\(text): JSONDecoder \(expected), bytes decoder \(actual)", sourceLocation: sourceLocation)
        case (.error(let expected), .error(let actual)):
            #expect(expected == actual, "\(text)", sourceLocation: sourceLocation)
        default:
            Issue.record("\(text): JSONDecoder \(expected), bytes decoder \(actual)", sourceLocation: sourceLocation)
        }
    }

    func expectSame<T: Decodable & Equatable>(_ type: T.Type, _ json: String, sourceLocation: SourceLocation = #_sourceLocation) {
        expectSame(T.self, Array(json.utf8), same: ==, sourceLocation: sourceLocation)
    }

    /// Values compared by their encoding, for types that are not `Equatable`.
    func expectSameEncoding<T: Codable>(_ type: T.Type, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        expectSame(T.self, bytes, same: { EventCoding.encode($0) == EventCoding.encode($1) }, sourceLocation: sourceLocation)
    }

    /// The bytes decoder rejects `bytes` as malformed.
    func expectMalformed(_ bytes: [UInt8], _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let outcome = Self.bytesDecoder(JSONValue.self, bytes)
        #expect(outcome.isDataCorrupted, "\(comment.map { "\($0): " } ?? "")\(String(decoding: bytes, as: UTF8.self)) gave \(outcome)", sourceLocation: sourceLocation)
    }

    // MARK: Events

    static let fullRequest = #"""
        {"model":"small","messages":[{"role":"system","content":"Be \"brief\"\n\tand\\ kind/ \u0001 é 漢字 🎉 \ud83c\udf89"},{"role":"user","content":""}],
         "max_tokens":16,"temperature":0.1,"stream":false,"metadata":{"b":"2","a":"1","z":""},
         "retrieval":{"collection":"docs","top_k":5,"filter":{"lang":"en","year":{"gte":2020},"tags":["a",null,true,1.5,-3]}},
         "top_p":1,"stop":["\n\n","END"],"cache":{"mode":"on","ttl_s":60}}
        """#

    static let fullReply = #"""
        {"request_id":"r-1","status":"error","api_version":"v2","error":{"code":"rate_limited","message":"slow down","retry_after_ms":1500},
         "provider":"sim","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],
         "usage":{"input_tokens":3,"output_tokens":4,"cost_picousd":9223372036854775807,"cost_usd":"0.000001","cached_input_tokens":0},
         "timings":{"gateway_ms":0.5,"a_ms":1e-7,"big_ms":12345678.25,"zero_ms":0,"neg_ms":-2},
         "route":{"tier":"small","model":"m","reason":"rule:short","local_only":true},
         "retrieval":{"collection":"docs","index_version":"v3","sources":[{"document_id":"d","chunk":2,"score":0.875,"title":"T"}]},
         "cache":{"outcome":"semantic_hit","saved_cost_picousd":12,"similarity":0.9312}}
        """#

    static let fullUsage = #"""
        {"request_id":"r-2","tenant":"acme","key_id":"k1","status":"ok","error_code":"x","stage":"completer","provider":"p","model":"m",
         "input_tokens":1,"output_tokens":2,"cost_picousd":9007199254740993,"latency_ms":3.25,"provider_latency_ms":1.5,"timestamp_ms":1767225600000,
         "deployment":"p/m","cached_input_tokens":1,"retries":1,"failover":true,"stream":true,"ttft_ms":0.75,"tier":"large",
         "route_reason":"default","cache":"miss","cache_saved_picousd":0,
         "attempts":[{"deployment":"p/m","provider":"p","status":"error","error_class":"timeout","http_status":504,"latency_ms":10}]}
        """#

    static func sampleV2() -> ChatRequestV2 {
        ChatRequestV2(model: "claude", system: .text("Be brief."), messages: [
            .init(role: "user", content: .blocks([.init(text: "Hello"), .init(text: "Second block ✓")])),
            .init(role: "assistant", content: .text("Hi.")),
        ], maxTokens: 64, temperature: 0.7, stream: true, metadata: ["k": "v"],
        retrieval: RetrievalRequest(collection: "docs", topK: 3, filter: .object(["lang": .string("en")])))
    }

    /// The pipeline's events as the encoder writes them.
    static func sampleEvents() throws -> [(name: String, bytes: [UInt8])] {
        [
            ("request", EventCoding.encode(CodecBenchmark.sampleRequest())),
            ("task", EventCoding.encode(CodecBenchmark.sampleTask())),
            ("reply", EventCoding.encode(CodecBenchmark.sampleReply())),
            ("request v2", EventCoding.encode(sampleV2())),
            ("usage", EventCoding.encode(try JSONDecoder().decode(UsageEvent.self, from: Data(fullUsage.utf8)))),
            ("full request", EventCoding.encode(try JSONDecoder().decode(ChatRequest.self, from: Data(fullRequest.utf8)))),
            ("full reply", EventCoding.encode(try JSONDecoder().decode(Reply.self, from: Data(fullReply.utf8)))),
        ]
    }

    /// Decodes `bytes` as the event type `name` stands for with both decoders; the outcomes as
    /// re-encoded values or error descriptions.
    static func decodeEvent(_ name: String, _ bytes: [UInt8]) -> (foundation: Outcome<[UInt8]>, bytesDecoder: Outcome<[UInt8]>) {
        func both<T: Codable>(_ type: T.Type) -> (Outcome<[UInt8]>, Outcome<[UInt8]>) {
            func encoded(_ outcome: Outcome<T>) -> Outcome<[UInt8]> {
                switch outcome {
                case .value(let value): .value(EventCoding.encode(value))
                case .error(let error): .error(error)
                }
            }
            return (encoded(foundation(T.self, bytes)), encoded(bytesDecoder(T.self, bytes)))
        }
        switch name {
        case "task": return both(CompletionTask.self)
        case "reply", "full reply": return both(Reply.self)
        case "request v2": return both(ChatRequestV2.self)
        case "usage": return both(UsageEvent.self)
        default: return both(ChatRequest.self)
        }
    }

    @Test("the pipeline's events decode to what JSONDecoder gives")
    func events() throws {
        let request = CodecBenchmark.sampleRequest(), reply = CodecBenchmark.sampleReply(), task = CodecBenchmark.sampleTask()
        #expect(try JSONBytesDecoder.decode(ChatRequest.self, from: EventCoding.encode(request)) == request)
        #expect(try JSONBytesDecoder.decode(Reply.self, from: EventCoding.encode(reply)) == reply)
        let decodedTask = try JSONBytesDecoder.decode(CompletionTask.self, from: EventCoding.encode(task))
        #expect(EventCoding.encode(decodedTask) == EventCoding.encode(task))
        #expect(decodedTask.timings == task.timings && decodedTask.deadlineMs == task.deadlineMs && decodedTask.principal == task.principal)
        #expect(try JSONBytesDecoder.decode(ChatRequestV2.self, from: EventCoding.encode(Self.sampleV2())) == Self.sampleV2())

        for (name, bytes) in try Self.sampleEvents() {
            let (expected, actual) = Self.decodeEvent(name, bytes)
            guard case .value(let expectedBytes) = expected, case .value(let actualBytes) = actual else {
                Issue.record("\(name): JSONDecoder \(expected), bytes decoder \(actual)")
                continue
            }
            #expect(actualBytes == expectedBytes, "\(name)")
            #expect(actualBytes == bytes, "\(name) does not round-trip")
        }
        // The fixtures, with whitespace and every optional field, as Foundation reads them.
        expectSame(ChatRequest.self, Self.fullRequest)
        expectSame(Reply.self, Self.fullReply)
        expectSame(UsageEvent.self, Self.fullUsage)
        // Integers above 2^53 keep every digit.
        let usage = try JSONBytesDecoder.decode(UsageEvent.self, from: Array(Self.fullUsage.utf8))
        #expect(usage.costPicoUSD == 9_007_199_254_740_993)
        #expect(try JSONBytesDecoder.decode(Reply.self, from: Array(Self.fullReply.utf8)).usage?.costPicoUSD == Int64.max)
        // The raw-buffer entry point reads the same.
        let bytes = EventCoding.encode(reply)
        #expect(try bytes.withUnsafeBytes { try JSONBytesDecoder.decode(Reply.self, from: $0) } == reply)
    }

    // MARK: Keyed containers

    struct Fields: Codable, Equatable {
        var a: Int
        var b: String?
        var c: [Double]?
    }

    @Test("missing keys and nulls: decodeIfPresent gives nil, decode throws keyNotFound or valueNotFound")
    func missingAndNull() throws {
        expectSame(Fields.self, #"{"a":1}"#)
        expectSame(Fields.self, #"{"a":1,"b":null,"c":null}"#)
        expectSame(Fields.self, #"{"a":1,"b":"x","c":[1,2.5,-3e2]}"#)
        expectSame(Fields.self, #"{"b":"x"}"#)
        expectSame(Fields.self, #"{"a":null}"#)
        expectSame(Fields.self, #"{"a":1,"b":2}"#)
        expectSame(Fields.self, #"{"a":1,"c":[1,null]}"#)
        expectSame(Fields.self, #"{"a":1,"c":[1,"2"]}"#)
        expectSame(Fields.self, #"{"a":"1"}"#)
        expectSame(Fields.self, #"[1]"#)
        expectSame(Fields.self, #"null"#)
        expectSame(Fields?.self, #"null"#)
        expectSame([Fields].self, #"[{"a":1},{"a":2,"b":null},{"b":"x"}]"#)
        expectSame([String: Fields].self, #"{"one":{"a":1},"two":{"a":true}}"#)
        // The error names the key and the container's path.
        #expect(Self.bytesDecoder([Fields].self, Array(#"[{"a":1},{"b":"x"}]"#.utf8)).description == "error keyNotFound(a) [Index 1#1]")
        #expect(Self.bytesDecoder([String: [Fields]].self, Array(#"{"k":[{"a":1,"c":[true]}]}"#.utf8)).description
            == "error typeMismatch(Double) [k, Index 0#0, c, Index 0#0]")
    }

    /// Records what a decoder's containers answer, so two decoders can be compared call by call.
    struct Transcript: Decodable, Equatable {
        var lines: [String] = []

        enum Keys: String, CodingKey { case a, b, c, list, object, missing, `super` }

        mutating func record(_ label: String, _ body: () throws -> String) {
            do { lines.append("\(label): \(try body())") } catch { lines.append("\(label) threw \(JSONBytesDecoderTests.describe(error))") }
        }

        init(from decoder: any Decoder) throws {
            let keyed = try decoder.container(keyedBy: Keys.self)
            record("path") { "\(keyed.codingPath.count)" }
            record("allKeys") { keyed.allKeys.map(\.stringValue).sorted().joined(separator: ",") }
            for key in [Keys.a, .b, .c, .missing] {
                record("contains \(key)") { "\(keyed.contains(key))" }
                record("decodeNil \(key)") { "\(try keyed.decodeNil(forKey: key))" }
                record("decodeIfPresent Int \(key)") { "\(String(describing: try keyed.decodeIfPresent(Int.self, forKey: key)))" }
                record("decodeIfPresent String \(key)") { "\(String(describing: try keyed.decodeIfPresent(String.self, forKey: key)))" }
                record("decode Int \(key)") { "\(try keyed.decode(Int.self, forKey: key))" }
                record("decode Bool \(key)") { "\(try keyed.decode(Bool.self, forKey: key))" }
                record("decode [Int] \(key)") { "\(try keyed.decode([Int].self, forKey: key))" }
                record("nested keyed \(key)") { "\(try keyed.nestedContainer(keyedBy: Keys.self, forKey: key).allKeys.count)" }
                record("nested unkeyed \(key)") { "\(String(describing: try keyed.nestedUnkeyedContainer(forKey: key).count))" }
                record("superDecoder \(key)") {
                    let decoder = try keyed.superDecoder(forKey: key)
                    let single = try decoder.singleValueContainer()
                    return "\(decoder.codingPath.map(\.stringValue)) nil=\(single.decodeNil()) \(String(describing: try? single.decode(Int.self)))"
                }
            }
            record("superDecoder()") {
                let decoder = try keyed.superDecoder()
                return "\(decoder.codingPath.map(\.stringValue)) nil=\(try decoder.singleValueContainer().decodeNil())"
            }
            record("nested object") {
                let nested = try keyed.nestedContainer(keyedBy: Keys.self, forKey: .object)
                let inner = try nested.nestedContainer(keyedBy: Keys.self, forKey: .object)
                return "\(nested.codingPath.map(\.stringValue)) \(inner.codingPath.map(\.stringValue)) \(try inner.decode(String.self, forKey: .a))"
            }
            record("deep error") {
                let nested = try keyed.nestedContainer(keyedBy: Keys.self, forKey: .object)
                return "\(try nested.nestedContainer(keyedBy: Keys.self, forKey: .object).decode(Int.self, forKey: .a))"
            }
            guard keyed.contains(.list) else { return }
            var list = try keyed.nestedUnkeyedContainer(forKey: .list)
            record("count") { "\(String(describing: list.count)) atEnd=\(list.isAtEnd)" }
            record("decode String") { try list.decode(String.self) }
            record("index after failure") { "\(list.currentIndex)" }
            record("decodeNil") { "\(try list.decodeNil()) index=\(list.currentIndex)" }
            record("decodeIfPresent Int") { "\(String(describing: try list.decodeIfPresent(Int.self))) index=\(list.currentIndex)" }
            record("decode Int") { "\(try list.decode(Int.self)) index=\(list.currentIndex)" }
            record("decodeNil again") { "\(try list.decodeNil()) index=\(list.currentIndex)" }
            record("nested in list") {
                let nested = try list.nestedContainer(keyedBy: Keys.self)
                return "\(nested.codingPath.map(\.stringValue)) \(try nested.decode(Int.self, forKey: .a)) index=\(list.currentIndex)"
            }
            record("nested unkeyed in list") {
                var nested = try list.nestedUnkeyedContainer()
                return "\(nested.codingPath.map(\.stringValue)) \(try nested.decode(Double.self)) index=\(list.currentIndex)"
            }
            record("superDecoder in list") {
                let decoder = try list.superDecoder()
                return "\(decoder.codingPath.map(\.stringValue)) \(try decoder.singleValueContainer().decode(String.self)) index=\(list.currentIndex)"
            }
            record("decode at end") { "\(try list.decode(Int.self))" }
            record("decodeNil at end") { "\(try list.decodeNil())" }
            record("decodeIfPresent at end") { "\(String(describing: try list.decodeIfPresent(Int.self))) index=\(list.currentIndex) atEnd=\(list.isAtEnd)" }
            record("nested at end") { "\(try list.nestedContainer(keyedBy: Keys.self).allKeys)" }
            record("nested unkeyed at end") { "\(String(describing: try list.nestedUnkeyedContainer().count))" }
            record("superDecoder at end") { "\(try list.superDecoder().codingPath.count)" }
        }
    }

    @Test("containers answer contains, allKeys, decodeNil, nested containers and superDecoder as JSONDecoder's do")
    func containers() throws {
        for json in [
            #"{"a":1,"b":null,"c":"x","list":[null,null,5,7,{"a":2},[1.5],"s"],"object":{"object":{"a":"deep"}},"super":3}"#,
            #"{"a":true,"b":[1,2],"c":{"a":1},"list":["x",1,null,2,{"a":"no"},[],1],"object":{"object":{"a":1}}}"#,
            #"{"a":[],"b":{},"c":1.5,"list":[],"object":{"object":null}}"#,
            #"{"a":1,"a":2,"b":"first","b":"second","list":[]}"#,
        ] {
            let expected = try JSONDecoder().decode(Transcript.self, from: Data(json.utf8))
            let actual = try JSONBytesDecoder.decode(Transcript.self, from: Array(json.utf8))
            #expect(actual.lines.count == expected.lines.count)
            for (line, expectedLine) in zip(actual.lines, expected.lines) {
                #expect(line == expectedLine, "\(json)")
            }
        }
    }

    @Test("the first of repeated keys wins, and later values are not decoded")
    func duplicateKeys() throws {
        expectSame(Fields.self, #"{"a":1,"a":2}"#)
        expectSame(Fields.self, #"{"a":1,"a":"not a number"}"#)
        expectSame([String: Int].self, #"{"x":1,"y":2,"x":3}"#)
        expectSame([String: Int].self, #"{"x":1,"x":"three"}"#)
        // The events' dictionaries, which this decoder reads member by member.
        expectSame([String: Double].self, #"{"x":1,"y":2,"x":3}"#)
        expectSame([String: Double].self, #"{"x":1,"x":"three"}"#)
        expectSame([String: String].self, #"{"x":"a","x":"b"}"#)
        expectSame([String: String].self, #"{"x":"a","x":null,"y":"c"}"#)
        expectSame([String: String].self, #"{"x":"a","y":1,"x":null}"#)
        // Keys are equal as Swift strings: escapes and canonically equivalent spellings.
        expectSame([String: Int].self, #"{"\u0061":1,"a":2}"#)
        expectSame([String: Int].self, #"{"é":1,"e\u0301":2}"#)
        expectSame(Fields.self, #"{"\u0061":5}"#)
        struct Accented: Decodable, Equatable {
            enum CodingKeys: String, CodingKey { case value = "é" }
            var value: Int
        }
        expectSame(Accented.self, #"{"e\u0301":1}"#)
        expectSame(Accented.self, #"{"x":0,"é":1,"e\u0301":2}"#)
        expectSame(Accented.self, #"{"x":0,"e\u0301":1,"é":2}"#)
        struct Kelvin: Decodable, Equatable {
            enum CodingKeys: String, CodingKey { case value = "K" }
            var value: Int
        }
        expectSame(Kelvin.self, #"{"\u212a":1,"K":2}"#)
        expectSame(Kelvin.self, #"{"K":1,"\u212a":2}"#)
        #expect(try JSONBytesDecoder.decode([String: Int].self, from: Array(#"{"x":1,"x":3}"#.utf8)) == ["x": 1])
    }

    @Test("Date, Data, URL and Decimal decode as with JSONDecoder's default strategies")
    func foundationTypes() {
        struct Stamped: Codable, Equatable {
            var at: Date?
            var blob: Data?
            var url: URL?
            var amount: Decimal?
        }
        for json in [#"{"at":1.5,"blob":"AAH/","url":"https://example.com/a?b=c","amount":12.75}"#,
                     #"{"at":-978307200,"blob":"","url":"a b","amount":-0.000001}"#,
                     #"{"at":null,"blob":null,"url":null,"amount":null}"#, #"{}"#,
                     #"{"at":"x"}"#, #"{"blob":"AAH"}"#, #"{"blob":"A A"}"#, #"{"blob":1}"#, #"{"url":""}"#, #"{"url":1}"#,
                     #"{"amount":"1"}"#, #"{"amount":1e400}"#, #"{"amount":123456789012345678901234567890}"#] {
            expectSame(Stamped.self, json)
        }
        expectSame(Date.self, "null")
        expectSame(Data.self, "null")
        expectSame([Date].self, "[0, 1e9, -1.25]")
        expectSame([Decimal].self, "[0, 3.14159, 1e-5, -7]")
        #expect(Self.bytesDecoder([Data].self, Array(#"[null]"#.utf8)).description == "error valueNotFound(Data) [Index 0#0]")
        #expect(Self.bytesDecoder([String: Data].self, Array(#"{"k":"%%"}"#.utf8)).description == "error dataCorrupted")
    }

    @Test("dictionaries keyed by String decode as objects")
    func dictionaries() throws {
        expectSame([String: Double].self, #"{"gateway_ms":0.31,"router_ms":2,"x":-1e-3}"#)
        expectSame([String: String].self, #"{"team":"search","trace":"abc123","empty":""}"#)
        expectSame([String: Double].self, #"{"a":"1"}"#)
        expectSame([String: Double].self, #"{"a":null}"#)
        expectSame([String: Double?].self, #"{"a":null,"b":1}"#)
        expectSame([String: Double].self, #"[]"#)
        expectSame([String: Double].self, #"null"#)
        expectSame([String: [String: Int]].self, #"{"a":{"b":1},"c":{}}"#)
        expectSame([Int: Double].self, #"{"1":1,"2":2.5}"#)
        expectSame([Int: Double].self, #"{"1":1,"y":2.5}"#)
        // A large object: every member found.
        var large: [String: Int] = [:]
        for index in 0..<300 { large["key\(index)"] = index }
        let bytes = EventCoding.encode(large)
        #expect(try JSONBytesDecoder.decode([String: Int].self, from: bytes) == large)
        struct Keyed: Decodable { var key299: Int; var key0: Int }
        #expect(try JSONBytesDecoder.decode(Keyed.self, from: bytes).key299 == 299)
    }

    @Test("top-level scalars, whitespace and a byte order mark are accepted")
    func topLevel() {
        expectSame(Int.self, " 1 ")
        expectSame(String.self, "\t\"x\"\r\n")
        expectSame(Int?.self, "null")
        expectSame(Bool.self, "true")
        expectSame(Double.self, "-2.5")
        expectSame(Int.self, "null")
        expectSame([Int].self, "[1,]")
        expectSame([String: Int].self, #"{"a":1 , }"#)
        expectSame(Int.self, [0xEF, 0xBB, 0xBF, 0x31], same: ==)
        expectSame(Int.self, [0xEF, 0xBB, 0xBF], same: ==)
    }

    // MARK: Malformed input

    @Test("malformed documents throw dataCorrupted, as JSONDecoder does when it reads them")
    func malformed() {
        let documents: [[UInt8]] = [
            [], Array("  ".utf8), Array("{".utf8), Array(#"{"a":1"#.utf8), Array(#"{"a":"#.utf8), Array(#"{"a""#.utf8), Array("[1,2".utf8),
            Array(#""abc"#.utf8), Array(#"{"a":1}x"#.utf8), Array("1 2".utf8), Array("[1,,2]".utf8), Array("[,]".utf8), Array("{,}".utf8),
            Array(#"{"a" 1}"#.utf8), Array(#"{a:1}"#.utf8), Array("[1 2]".utf8), Array(#"{"a":1 "b":2}"#.utf8), Array("]".utf8),
            Array("01".utf8), Array("-01".utf8), Array("00".utf8), Array("-".utf8), Array("1.".utf8), Array(".5".utf8), Array("1e".utf8),
            Array("1e+".utf8), Array("+1".utf8), Array("1.e5".utf8), Array("--1".utf8), Array("0x10".utf8), Array("1-2".utf8),
            Array("NaN".utf8), Array("Infinity".utf8), Array("-Infinity".utf8), Array("nan".utf8), Array("tru".utf8), Array("True".utf8),
            Array("nul".utf8), Array("truex".utf8), Array("1\u{0B}".utf8), Array("\u{0C}1".utf8),
            Array(#""\ud800""#.utf8), Array(#""\udc00""#.utf8), Array(#""\ud800\u0041""#.utf8), Array(#""\uD800\uD800""#.utf8),
            Array(#""\ud83d""#.utf8), Array(#""\u12G4""#.utf8), Array(#""\u12""#.utf8), Array(#""\x""#.utf8), Array(#""\"#.utf8),
            [0x22, 0x61, 0x09, 0x62, 0x22], [0x22, 0x00, 0x22], [0x22, 0x0A, 0x22], [0x22, 0x61, 0xFF, 0x22], [0x22, 0xC3, 0x22],
            [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0x80, 0x22],
            [0x22, 0xE2, 0x82, 0x22], [0x22, 0xF0, 0x9F, 0x8E, 0x22], [0x22, 0xC3],
        ]
        for document in documents {
            expectMalformed(document)
            // JSONDecoder reads every value of a JSONValue, so it rejects the same documents.
            #expect(Self.foundation(JSONValue.self, document).isDataCorrupted, "\(String(decoding: document, as: UTF8.self))")
        }
    }

    @Test("malformed values are rejected even where the type does not read them (JSONDecoder accepts these)")
    func malformedUnreadValues() {
        let unread: [[UInt8]] = [
            Array(#"{"a":1,"b":01}"#.utf8), Array(#"{"a":1,"b":1.}"#.utf8), Array(#"{"a":1,"b":-}"#.utf8), Array(#"{"a":1,"b":1-2}"#.utf8),
            Array(#"{"a":1,"b":"\u00zz"}"#.utf8), Array(#"{"a":1,"b":"\x"}"#.utf8), Array(#"{"a":1,"b":"\ud800"}"#.utf8),
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x31, 0x2C, 0x22, 0x62, 0x22, 0x3A, 0x22, 0x01, 0x22, 0x7D],
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x31, 0x2C, 0x22, 0x62, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D],
        ]
        struct OnlyA: Decodable { var a: Int }
        for document in unread {
            #expect(!Self.foundation(OnlyA.self, document).failed, "JSONDecoder now rejects \(String(decoding: document, as: UTF8.self))")
            #expect(Self.bytesDecoder(OnlyA.self, document).isDataCorrupted, "\(String(decoding: document, as: UTF8.self))")
            #expect(Self.foundation(JSONValue.self, document).isDataCorrupted, "\(String(decoding: document, as: UTF8.self))")
        }
    }

    @Test("nesting: 512 levels decode, 513 throw, 100,000 throw without exhausting the stack")
    func nesting() {
        func arrays(_ depth: Int) -> [UInt8] { Array(repeating: UInt8(ascii: "["), count: depth) + Array(repeating: UInt8(ascii: "]"), count: depth) }
        func objects(_ depth: Int) -> [UInt8] {
            Array(String(repeating: #"{"a":"#, count: depth).utf8) + [UInt8(ascii: "1")] + Array(repeating: UInt8(ascii: "}"), count: depth)
        }
        #expect(!Self.bytesDecoder(JSONValue.self, arrays(512)).failed)
        #expect(!Self.bytesDecoder(JSONValue.self, objects(512)).failed)
        #expect(!Self.foundation(JSONValue.self, arrays(512)).failed)
        expectMalformed(arrays(513))
        expectMalformed(objects(513))
        #expect(Self.foundation(JSONValue.self, arrays(513)).isDataCorrupted)
        expectMalformed(Array(repeating: UInt8(ascii: "["), count: 100_000))
        expectMalformed(Array(String(repeating: #"{"a":["#, count: 50_000).utf8))
    }

    // MARK: Mutations

    /// Whether `bytes` is malformed somewhere: JSONSerialization parses every value.
    static func serializationRejects(_ bytes: [UInt8]) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) == nil
    }

    @Test("randomly damaged events: both decoders fail, or both give the same value")
    func mutations() throws {
        var generator = SplitMix64(seed: 2026)
        let interesting: [UInt8] = Array(#"{}[]:,"\ -.eE0123456789tfnulr"#.utf8) + [0x00, 0x01, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xE2, 0xED, 0xF0, 0xFF]
        var outcomes: [String: Int] = [:]
        for (name, original) in try Self.sampleEvents() {
            for _ in 0..<1000 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...2, using: &generator) {
                    let byte = Bool.random(using: &generator) ? (interesting.randomElement(using: &generator) ?? 0) : UInt8.random(in: 0...255, using: &generator)
                    switch Int.random(in: 0..<5, using: &generator) {
                    case 0: bytes.removeLast(Int.random(in: 0...bytes.count, using: &generator))
                    case 1, 2: if !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &generator)] = byte }
                    default: bytes.insert(byte, at: Int.random(in: 0...bytes.count, using: &generator))
                    }
                }
                let (expected, actual) = Self.decodeEvent(name, bytes)
                let text = "\(name) \(String(decoding: bytes, as: UTF8.self))"
                switch (expected, actual) {
                case (.value(let expected), .value(let actual)):
                    outcomes["both decode", default: 0] += 1
                    #expect(actual == expected, "\(text)")
                case (.error(let expected), .error(let actual)):
                    outcomes["both fail", default: 0] += 1
                    if !actual.hasPrefix("dataCorrupted") {
                        // A well-formed document: JSONDecoder meets the same problem first.
                        #expect(actual == expected, "\(text)")
                    } else if !expected.hasPrefix("dataCorrupted") {
                        // JSONDecoder stopped at a type problem before the malformed part.
                        #expect(Self.serializationRejects(bytes), "\(text): JSONDecoder \(expected)")
                    }
                case (.value, .error(let actual)):
                    // JSONDecoder skips values the type does not read; they are malformed.
                    outcomes["only JSONDecoder decodes", default: 0] += 1
                    #expect(actual.hasPrefix("dataCorrupted") && Self.serializationRejects(bytes), "\(text): bytes decoder \(actual)")
                case (.error(let expected), .value(let actual)):
                    // The documented difference: a zero with an exponent ("0.5" became "0e5").
                    let zeros = Array(Self.replacingZeroExponents(String(decoding: bytes, as: UTF8.self)).utf8)
                    if zeros != bytes, case .value(let expectedWithZeros) = Self.decodeEvent(name, zeros).foundation, expectedWithZeros == actual {
                        outcomes["zero with an exponent", default: 0] += 1
                    } else {
                        Issue.record("\(text): only the bytes decoder decodes; JSONDecoder \(expected)")
                    }
                }
            }
        }
        // The mutations reach every branch.
        #expect(outcomes["both decode", default: 0] > 100)
        #expect(outcomes["both fail", default: 0] > 1000)
        #expect(outcomes["only JSONDecoder decodes", default: 0] > 0)
    }

    @Test("JSONValue.parse on the scanner gives JSONSerialization's value on events and damaged events, or both fail")
    func jsonValueParse() throws {
        var generator = SplitMix64(seed: 77)
        var both = 0, neither = 0
        for (name, original) in try Self.sampleEvents() {
            #expect(try JSONValue.parse(original) == JSONValue.parseWithFoundation(original), "\(name)")
            for _ in 0..<1000 {
                var bytes = original
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes.removeLast(Int.random(in: 1...bytes.count, using: &generator))
                case 1: bytes[position] = UInt8.random(in: 0...255, using: &generator)
                default: bytes.insert(Array(#"{}[]:,"\ -.e0tn"#.utf8).randomElement(using: &generator) ?? 0, at: position)
                }
                let text = String(decoding: bytes, as: UTF8.self)
                // The scanner's documented difference: a zero with an exponent is a number.
                guard Self.replacingZeroExponents(text) == text else { continue }
                switch (try? JSONValue.parse(bytes), try? JSONValue.parseWithFoundation(bytes)) {
                case (let scanned?, let foundation?):
                    both += 1
                    #expect(Self.sameValue(scanned, foundation), "\(name): \(text)")
                case (nil, nil):
                    neither += 1
                case (let scanned, _):
                    Issue.record("\(name): \(text): only \(scanned == nil ? "JSONSerialization" : "the scanner") parses it")
                }
            }
        }
        #expect(both > 100 && neither > 1000)
        // Repeated keys: the first wins, as in the decoder that reads the value afterwards.
        #expect(try JSONValue.parse(Array(#"{"a":1,"a":2}"#.utf8)) == .object(["a": .number(1)]))
        #expect(throws: DecodingError.self) { try JSONValue.parse(Array("1e400".utf8)) }
        // The scanner rounds correctly (as `Double("…")` does); JSONSerialization can be one
        // unit in the last place off on long numbers.
        #expect(try JSONValue.parse(Array("922.3372036854775807".utf8)) == .number(922.3372036854776))
    }

    /// Equal values, numbers within one unit in the last place.
    static func sameValue(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y || abs(x - y) <= max(x.ulp, y.ulp)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameValue($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { sameValue(value, $0) } ?? false }
        default: return a == b
        }
    }
}
