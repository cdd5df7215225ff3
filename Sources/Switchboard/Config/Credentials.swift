import Crypto
import Foundation

/// Who a request is from, once its API key checked out.
public struct Principal: Sendable, Hashable, Codable {
    public var tenant: String
    public var keyID: String

    enum CodingKeys: String, CodingKey { case tenant, keyID = "key_id" }

    public init(tenant: String, keyID: String) {
        self.tenant = tenant
        self.keyID = keyID
    }
}

/// What an authenticated key may do: who it is, its own scope and its tenant's.
public struct KeyGrant: Sendable, Equatable {
    /// The tenant and key id that logs, usage and limits use.
    public var principal: Principal
    /// The key's own scope.
    public var keyScope: Scope
    /// The tenant's scope, shared by all its keys.
    public var tenantScope: Scope
    /// Reply topics the tenant may use besides the ingress ones.
    public var replyTopics: Set<String>

    public init(principal: Principal, keyScope: Scope = Scope(), tenantScope: Scope = Scope(), replyTopics: Set<String> = []) {
        self.principal = principal
        self.keyScope = keyScope
        self.tenantScope = tenantScope
        self.replyTopics = replyTopics
    }

    /// Whether both scopes allow `requested` (a name or alias) resolving to `resolved`.
    public func allows(model requested: String?, resolved: ModelConfig?) -> Bool {
        let names = Set([requested, resolved?.name].compactMap { $0 } + (resolved?.aliases ?? []))
        return [keyScope, tenantScope].allSatisfy { $0.models.isEmpty || !names.isDisjoint(with: $0.models) }
    }

    /// Whether both scopes allow retrieval from `collection`.
    public func allows(collection: String) -> Bool {
        [keyScope, tenantScope].allSatisfy { $0.collections.isEmpty || $0.collections.contains(collection) }
    }
}

/// Resolves API keys to principals by their SHA-256; the secret itself is never stored.
public struct KeyStore: Sendable {
    private let byHash: [String: KeyGrant]
    private let replyTopics: [String: Set<String>]
    private let tenantScopes: [String: Scope]
    private let defaultReplyTopic: String

    public init(tenants: [TenantConfig], defaultReplyTopic: String) {
        var byHash: [String: KeyGrant] = [:]
        var replyTopics: [String: Set<String>] = [:]
        for tenant in tenants {
            let topics = Set(tenant.replyTopics + [defaultReplyTopic])
            for key in tenant.keys {
                byHash[key.sha256.lowercased()] = KeyGrant(principal: Principal(tenant: tenant.id, keyID: key.id),
                                                           keyScope: key.scope, tenantScope: tenant.scope, replyTopics: topics)
            }
            replyTopics[tenant.id] = topics
        }
        self.byHash = byHash
        self.replyTopics = replyTopics
        self.tenantScopes = Dictionary(tenants.map { ($0.id, $0.scope) }, uniquingKeysWith: { $1 })
        self.defaultReplyTopic = defaultReplyTopic
    }

    /// The grant of the key whose SHA-256 is `hash` (lowercase hex), if the config lists it.
    public func grant(hash: String) -> KeyGrant? { byHash[hash] }

    /// A grant for a key kept outside the config (Redis), within its tenant's configured scope.
    public func grant(tenant: String, keyID: String, keyScope: Scope) -> KeyGrant {
        KeyGrant(principal: Principal(tenant: tenant, keyID: keyID), keyScope: keyScope,
                 tenantScope: tenantScopes[tenant] ?? Scope(), replyTopics: replyTopics[tenant] ?? [defaultReplyTopic])
    }

    /// The key of an `Authorization` header value (`Bearer <key>`), or nil when malformed.
    public static func bearerToken(_ authorization: String?) -> String? {
        guard let authorization else { return nil }
        if let token = asciiBearerToken(authorization) { return token.isEmpty ? nil : token }
        return unicodeBearerToken(authorization)
    }

    /// `bearerToken` for any header: the scheme and the token split at the first space, the
    /// token trimmed of Unicode whitespace.
    static func unicodeBearerToken(_ authorization: String) -> String? {
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let key = parts[1].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key.utf8.count <= 512 else { return nil }
        return key
    }

    /// `bearerToken` for an all-ASCII header, byte by byte (the general path goes through
    /// Foundation's Unicode whitespace set on every request): "" when the header is ASCII but
    /// carries no usable token, nil when it is not all ASCII.
    static func asciiBearerToken(_ authorization: String) -> String? {
        var authorization = authorization
        return authorization.withUTF8 { bytes -> String? in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            let scheme = Array("bearer".utf8)
            // Leading spaces come before the scheme, as with a split at spaces.
            var first = 0
            while first < bytes.count, bytes[first] == UInt8(ascii: " ") { first += 1 }
            guard bytes.count - first > scheme.count, bytes[first + scheme.count] == UInt8(ascii: " "),
                  zip(bytes[first..<(first + scheme.count)], scheme).allSatisfy({ $0 | 0x20 == $1 }) else { return "" }
            // Whitespace here is what Foundation's set holds among ASCII bytes: space and tab.
            func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
            var start = first + scheme.count + 1, end = bytes.count
            while start < end, isBlank(bytes[start]) { start += 1 }
            while end > start, isBlank(bytes[end - 1]) { end -= 1 }
            guard end > start, end - start <= 512 else { return "" }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
    }

    /// Hex SHA-256 of a key, as stored in the config.
    public static func hash(_ key: String) -> String {
        Digest.sha256Hex(key)
    }

    /// The principal for an `Authorization` header value (`Bearer <key>`), or nil.
    public func authenticate(authorization: String?) -> Principal? {
        Self.bearerToken(authorization).flatMap { byHash[Self.hash($0)]?.principal }
    }

    /// Whether `tenant` may have replies written to `topic`.
    public func mayReply(tenant: String, to topic: String) -> Bool {
        replyTopics[tenant]?.contains(topic) ?? false
    }

    /// Generates a new random key: `sk-sb-` and 32 URL-safe characters (192 random bits).
    public static func generateKey() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        // 64 symbols, so masking 6 bits keeps every symbol equally likely.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return "sk-sb-" + String(bytes.prefix(32).map { alphabet[Int($0 & 63)] })
    }
}
