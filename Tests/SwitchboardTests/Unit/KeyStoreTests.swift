import Switchboard
import Testing

@Suite("API keys")
struct KeyStoreTests {
    let store = KeyStore(tenants: [
        TenantConfig(id: "acme", keys: [APIKeyConfig(id: "k1", sha256: KeyStore.hash("sk-good"))], replyTopics: ["acme.replies"]),
    ], defaultReplyTopic: "llm.results.v1")

    @Test("a key is found by its hash only, with the Bearer scheme")
    func authenticate() {
        #expect(store.authenticate(authorization: "Bearer sk-good") == Principal(tenant: "acme", keyID: "k1"))
        #expect(store.authenticate(authorization: "bearer sk-good") == Principal(tenant: "acme", keyID: "k1"))
        #expect(store.authenticate(authorization: "Bearer sk-bad") == nil)
        #expect(store.authenticate(authorization: "sk-good") == nil)
        #expect(store.authenticate(authorization: "Basic sk-good") == nil)
        #expect(store.authenticate(authorization: nil) == nil)
        #expect(store.authenticate(authorization: "Bearer " + String(repeating: "x", count: 10_000)) == nil)
    }

    @Test("SHA-256 of a known value")
    func hash() {
        #expect(KeyStore.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("reply topics: the default and the tenant's own, nothing else")
    func replyTopics() {
        #expect(store.mayReply(tenant: "acme", to: "llm.results.v1"))
        #expect(store.mayReply(tenant: "acme", to: "acme.replies"))
        #expect(!store.mayReply(tenant: "acme", to: "llm.usage.v1"))
        #expect(!store.mayReply(tenant: "other", to: "llm.results.v1"))
    }

    @Test("generated keys are distinct and authenticate once configured")
    func generate() {
        let a = KeyStore.generateKey()
        let b = KeyStore.generateKey()
        #expect(a != b && a.hasPrefix("sk-sb-") && a.count == 38)
        let store = KeyStore(tenants: [TenantConfig(id: "t", keys: [APIKeyConfig(id: "g", sha256: KeyStore.hash(a))])], defaultReplyTopic: "r")
        #expect(store.authenticate(authorization: "Bearer \(a)")?.keyID == "g")
    }
}
