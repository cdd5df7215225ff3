import Synchronization

/// Runs work for one key at a time, newest version wins. The runner hands a stage many records
/// of a partition at once; two records with the same key (two versions of one document) must not
/// interleave, and an older one that starts after a newer one was applied is skipped.
public final class KeyedSerializer: Sendable {
    private struct State {
        var busy: [String: [CheckedContinuation<Void, Never>]] = [:]
        /// The highest offset applied per key (bounded: cleared when it grows past `capacity`).
        var applied: [String: Int64] = [:]
    }

    private let state = Mutex(State())
    private let capacity: Int

    public init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    /// Runs `body` alone for `key`; returns nil without running it when a record of the key with
    /// a higher offset was already applied.
    public func run<T: Sendable>(key: String, offset: Int64, _ body: () async throws -> T) async rethrows -> T? {
        await acquire(key)
        defer { release(key) }
        let superseded = state.withLock { ($0.applied[key] ?? -1) > offset }
        if superseded { return nil }
        let result = try await body()
        state.withLock { s in
            if s.applied.count >= capacity { s.applied.removeAll() }
            s.applied[key] = max(s.applied[key] ?? -1, offset)
        }
        return result
    }

    private func acquire(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let free = state.withLock { s -> Bool in
                if s.busy[key] == nil {
                    s.busy[key] = []
                    return true
                }
                s.busy[key, default: []].append(continuation)
                return false
            }
            if free { continuation.resume() }
        }
    }

    private func release(_ key: String) {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard var queue = s.busy[key], !queue.isEmpty else {
                s.busy[key] = nil
                return nil
            }
            let next = queue.removeFirst()
            s.busy[key] = queue
            return next
        }
        next?.resume()
    }
}
