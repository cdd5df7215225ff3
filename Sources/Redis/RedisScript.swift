import Synchronization

/// A Lua script run with ``RedisClient/eval(_:keys:args:file:line:)``.
///
/// The script is sent once with `SCRIPT LOAD` and afterwards invoked by SHA-1
/// with `EVALSHA`, so the source crosses the network only when the server does
/// not know it yet (first use, after `SCRIPT FLUSH` or a server restart).
/// The SHA-1 is the one the server returns from `SCRIPT LOAD`; it is not computed
/// locally, which keeps a hand-written hash out of this module.
///
/// Copies share the cached SHA-1, so define scripts once (e.g. as `static let`)
/// and reuse them.
public struct RedisScript: Sendable {
    /// The Lua source.
    public let source: String
    private let cache: SHACache

    /// Wraps `source`; nothing is sent until the first `eval`.
    public init(_ source: String) {
        self.source = source
        self.cache = SHACache()
    }

    /// The SHA-1 the server reported for this script, or `nil` before the first
    /// successful `SCRIPT LOAD` through any client.
    public var sha1: String? { cache.value }

    /// Records the SHA-1 returned by `SCRIPT LOAD`.
    func remember(sha1: String) { cache.value = sha1 }
}

/// Shared, thread-safe storage for the SHA-1, so that value copies of a
/// ``RedisScript`` benefit from one load.
private final class SHACache: Sendable {
    private let storage = Mutex<String?>(nil)

    var value: String? {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
