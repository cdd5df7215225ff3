import Foundation
@testable import Switchboard
import Testing

@Suite("Authorization header parsing")
struct BearerTokenTests {
    @Test("the byte-level path for ASCII headers gives what the general path gives, on pieces put together at random")
    func asciiMatchesGeneral() {
        let leading = ["", " ", "  ", "\t"], schemes = ["Bearer", "bearer", "BEARER", "bEaReR", "Basic", "bear", "Bearer:", ""]
        let separators = [" ", "  ", "\t", "", " \t"], trailing = ["", " ", "\t", "\n", "\u{00A0}", " x"]
        let keys = ["sk-sb-abc123", "x", "é", "\u{00A0}", "=", "", String(repeating: "k", count: 512), String(repeating: "k", count: 513)]
        var generator = SystemRandomNumberGenerator()
        var accepted = 0
        for _ in 0..<20_000 {
            let header = [leading, schemes, separators, keys, trailing].map { $0.randomElement(using: &generator) ?? "" }.joined()
            let expected = KeyStore.unicodeBearerToken(header)
            #expect(KeyStore.bearerToken(header) == expected, "\(header.debugDescription)")
            if expected != nil { accepted += 1 }
        }
        #expect(accepted > 1000)
        #expect(KeyStore.bearerToken("Bearer sk-1") == "sk-1")
        #expect(KeyStore.bearerToken("  bearer \t sk-1 \t") == "sk-1")
        #expect(KeyStore.bearerToken("Bearer " + String(repeating: "k", count: 513)) == nil)
        #expect(KeyStore.bearerToken("Bearer sk-1\u{00A0}") == "sk-1")
        #expect(KeyStore.bearerToken("Basic sk-1") == nil)
        #expect(KeyStore.bearerToken(nil) == nil)
    }
}
