import Foundation
import Redis

/// The answer stored for a request id: what the completer emitted, so a redelivered request
/// gets the same reply (and usage) again instead of a second provider call.
public struct StoredAnswer: Sendable, Codable, Equatable {
    public var replyTo: String
    public var reply: Reply
    public var usage: UsageEvent

    enum CodingKeys: String, CodingKey { case replyTo = "reply_to", reply, usage }

    /// The answer's JSON pieces, each encoded once: the reply and usage values that go to
    /// Kafka, and the stored form that holds both.
    public func encoded() -> EncodedAnswer {
        let reply = EventCoding.encode(self.reply)
        let usage = EventCoding.encode(self.usage)
        let stored = Array("{\"reply\":".utf8) + reply + Array(",\"reply_to\":".utf8) + EventCoding.encode(replyTo)
            + Array(",\"usage\":".utf8) + usage + [UInt8(ascii: "}")]
        return EncodedAnswer(answer: self, reply: reply, usage: usage, stored: stored)
    }
}

/// A ``StoredAnswer`` with its encodings.
public struct EncodedAnswer: Sendable {
    public var answer: StoredAnswer
    public var reply: [UInt8]
    public var usage: [UInt8]
    public var stored: [UInt8]
}

/// Where the request id works as an idempotency key.
public protocol RequestLedger: Sendable {
    /// Claims `requestID` for this process, or reports it answered or in flight elsewhere.
    func claim(_ requestID: String) async -> LedgerClaim
    /// Stores the answer and clears the in-flight marker.
    func store(_ answer: EncodedAnswer) async
}

/// The state of a request id in the ledger.
public enum LedgerClaim: Sendable, Equatable {
    /// Nobody answered it and nobody is working on it: this process now is.
    case claimed
    /// Answered before: emit this again.
    case answered(StoredAnswer)
    /// Another process (or an earlier delivery) is working on it.
    case busy
}

/// The ledger in Redis: a marker `SET NX PX` while a request is in flight (it expires, so a
/// crashed process's request is eventually answered by another), and the stored answer with
/// its own TTL. Redis being unreachable never stops a reply: the claim then counts as won.
public struct RedisRequestLedger: RequestLedger {
    private let redis: RedisClient
    private let settings: IdempotencySettings
    private let owner = UUID().uuidString
    private let onError: @Sendable (String) -> Void

    static let claimScript = RedisScript("""
    local answer = redis.call('GET', KEYS[2])
    if answer then return {'answered', answer} end
    if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {'claimed'} end
    return {'busy'}
    """)

    static let storeScript = RedisScript("""
    redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
    redis.call('DEL', KEYS[1])
    return 1
    """)

    public init(redis: RedisClient, settings: IdempotencySettings, onError: @escaping @Sendable (String) -> Void = { _ in }) {
        self.redis = redis
        self.settings = settings
        self.onError = onError
    }

    private func keys(_ requestID: String) -> [String] {
        [settings.keyPrefix + requestID + ":marker", settings.keyPrefix + requestID + ":answer"]
    }

    public func claim(_ requestID: String) async -> LedgerClaim {
        let reply: RedisValue
        do {
            reply = try await redis.eval(Self.claimScript, keys: keys(requestID), args: [RedisArgument(owner), RedisArgument(settings.inFlightTTLMs)])
        } catch {
            onError("idempotency claim failed, answering without it: \(error.message)")
            return .claimed
        }
        let parts = reply.array ?? []
        switch parts.first?.string {
        case "answered":
            guard let bytes = parts.dropFirst().first?.bytes, let answer = try? EventCoding.decode(StoredAnswer.self, from: bytes) else {
                onError("a stored answer could not be read; answering again")
                return .claimed
            }
            return .answered(answer)
        case "busy": return .busy
        default: return .claimed
        }
    }

    public func store(_ answer: EncodedAnswer) async {
        do {
            _ = try await redis.eval(Self.storeScript, keys: keys(answer.answer.reply.requestID),
                                     args: [RedisArgument(bytes: answer.stored), RedisArgument(settings.replyTTLMs)])
        } catch {
            onError("storing the answer failed: \(error.message)")
        }
    }
}
