import Foundation
@testable import ProviderSimulator
import Switchboard

/// Generates requests that are wrong by construction, deterministically from a seed, so a
/// failing case can be replayed: malformed JSON, wrong types, unknown roles, bad max_tokens,
/// invalid UTF-8, schema violations, missing or wrong credentials and headers.
struct BadRequestGenerator {
    struct Bad {
        var kind: String
        var body: [UInt8]
        /// nil: no authorization header; otherwise the header value.
        var authorization: String?
        var includeID = true
        var type = "llm.request.v1"
    }

    var rng: SplitMix64
    let key: String

    init(seed: UInt64, key: String) {
        rng = SplitMix64(seed: seed)
        self.key = key
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }

    mutating func word() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        return String((0..<int(1...12)).map { _ in letters[int(0...25)] })
    }

    static let valid = #"{"model":"small","messages":[{"role":"user","content":"hello"}],"max_tokens":16}"#

    /// The next bad request; `http` leaves out cases only Kafka can express (missing ce_id, ce_type).
    mutating func next(http: Bool = false) -> Bad {
        let bearer = "Bearer \(key)"
        let kinds = http ? 13 : 16
        switch int(0...(kinds - 1)) {
        case 0: return Bad(kind: "random-bytes", body: (0..<int(1...300)).map { _ in UInt8(int(0...255)) }, authorization: bearer)
        case 1:
            let cut = Array(Self.valid.utf8).prefix(int(1...(Self.valid.utf8.count - 2)))
            return Bad(kind: "truncated", body: Array(cut), authorization: bearer)
        case 2:
            let messages = ["\"hello\"", "42", "{}", "null", "[1,2]", "true"][int(0...5)]
            return Bad(kind: "messages-type", body: Array(#"{"messages":\#(messages)}"#.utf8), authorization: bearer)
        case 3:
            let content = ["42", "null", "[\"a\"]", "{}", "false"][int(0...4)]
            return Bad(kind: "content-type", body: Array(#"{"messages":[{"role":"user","content":\#(content)}]}"#.utf8), authorization: bearer)
        case 4:
            return Bad(kind: "unknown-role", body: Array(#"{"messages":[{"role":"x\#(word())","content":"hi"}]}"#.utf8), authorization: bearer)
        case 5:
            let value = ["-\(int(0...1_000_000))", "0", "\(int(32_769...Int(Int32.max)))", "1e300", "\"16\"", "1.5", "-1e30"][int(0...6)]
            return Bad(kind: "max-tokens", body: Array(#"{"messages":[{"role":"user","content":"hi"}],"max_tokens":\#(value)}"#.utf8), authorization: bearer)
        case 6:
            var body = Array(#"{"messages":[{"role":"user","content":"ab"#.utf8)
            body += [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC0, 0xAF]][int(0...4)]
            body += Array(#""}]}"#.utf8)
            return Bad(kind: "invalid-utf8", body: body, authorization: bearer)
        case 7:
            let temperature = ["-0.5", "2.5", "\"hot\"", "null"][int(0...3)]
            return Bad(kind: "temperature", body: Array(#"{"messages":[{"role":"user","content":"hi"}],"temperature":\#(temperature)}"#.utf8), authorization: bearer)
        case 8: return Bad(kind: "empty-messages", body: Array(#"{"messages":[]}"#.utf8), authorization: bearer)
        case 9: return Bad(kind: "no-messages", body: Array(#"{"model":"small"}"#.utf8), authorization: bearer)
        case 10: return Bad(kind: "not-object", body: Array(["[]", "42", "\"text\"", "null", "true"][int(0...4)].utf8), authorization: bearer)
        case 11: return Bad(kind: "no-key", body: Array(Self.valid.utf8), authorization: nil)
        case 12:
            let header = ["Bearer sk-sb-\(word())", "Basic \(word())", "Bearer", "", "bearer  ", "Token \(key)"][int(0...5)]
            return Bad(kind: "bad-key", body: Array(Self.valid.utf8), authorization: header)
        case 13: return Bad(kind: "no-id", body: Array(Self.valid.utf8), authorization: bearer, includeID: false)
        case 14: return Bad(kind: "future-version", body: Array(Self.valid.utf8), authorization: bearer, type: "llm.request.v\(int(3...99))")
        default:
            let metadata = (0..<17).map { "\"k\($0)\":\"v\"" }.joined(separator: ",")
            return Bad(kind: "metadata", body: Array(#"{"messages":[{"role":"user","content":"hi"}],"metadata":{\#(metadata)}}"#.utf8), authorization: bearer)
        }
    }
}
