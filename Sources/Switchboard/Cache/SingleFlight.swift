/// Identical requests in one process: the first to miss leads (calls the provider), the others
/// wait here in memory for its answer instead of polling Redis. A leader that fails hands its
/// waiters nil, and they go back to the cache (one of them then leads).
actor SingleFlight {
    private struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<CachedAnswer?, Never>
    }

    private var flights: [String: [Waiter]] = [:]
    private var nextID = 0

    /// Registers this process's leader for `key`; false when one is already leading.
    func lead(_ key: String) -> Bool {
        guard flights[key] == nil else { return false }
        flights[key] = []
        return true
    }

    /// Whether a leader of this process is working on `key`.
    func isLeading(_ key: String) -> Bool {
        flights[key] != nil
    }

    /// Waits for the leader's answer, at most `timeout` (then nil). Nil at once when nobody leads.
    func wait(_ key: String, timeout: Duration) async -> CachedAnswer? {
        guard flights[key] != nil else { return nil }
        let id = nextID
        nextID += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(key, id: id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            flights[key, default: []].append(Waiter(id: id, continuation: continuation))
        }
    }

    /// Hands `answer` (nil: the leader failed) to everyone waiting for `key`, and ends the flight.
    func finish(_ key: String, answer: CachedAnswer?) {
        for waiter in flights.removeValue(forKey: key) ?? [] {
            waiter.continuation.resume(returning: answer)
        }
    }

    private func expire(_ key: String, id: Int) {
        guard var waiters = flights[key], let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: nil)
        flights[key] = waiters
    }
}
