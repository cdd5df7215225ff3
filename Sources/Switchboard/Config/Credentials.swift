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

/// Resolves API keys to principals by their SHA-256; the secret itself is never stored.
public struct KeyStore: Sendable {
    private let byHash: [String: Principal]
    private let replyTopics: [String: Set<String>]

    public init(tenants: [TenantConfig], defaultReplyTopic: String) {
        var byHash: [String: Principal] = [:]
        var replyTopics: [String: Set<String>] = [:]
        for tenant in tenants {
            for key in tenant.keys {
                byHash[key.sha256.lowercased()] = Principal(tenant: tenant.id, keyID: key.id)
            }
            replyTopics[tenant.id] = Set(tenant.replyTopics + [defaultReplyTopic])
        }
        self.byHash = byHash
        self.replyTopics = replyTopics
    }

    /// Hex SHA-256 of a key, as stored in the config.
    public static func hash(_ key: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Data(key.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The principal for an `Authorization` header value (`Bearer <key>`), or nil.
    public func authenticate(authorization: String?) -> Principal? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let key = parts[1].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, key.utf8.count <= 512 else { return nil }
        return byHash[Self.hash(key)]
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
