import Foundation

/// A dedicated thread that owns some non-thread-safe state (the encoder and
/// its scratch buffers) and runs submitted jobs on it one at a time.
///
/// A forward pass takes from milliseconds to seconds of CPU. Running it on the
/// Swift concurrency pool would hold one of its few threads for that long;
/// here callers await a continuation instead and the pool stays free.
final class EncoderWorker<State>: @unchecked Sendable {
    // @unchecked: `jobs` and `stopped` are guarded by `condition`; `state` is
    // touched only by the worker thread (and by deinit, after it has exited).
    typealias Job = @Sendable (State) -> Void

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var stopped = false
    private var state: State?

    /// Starts the thread; `state` moves to it.
    init(name: String, state: State) {
        self.state = state
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        thread.start()
    }

    /// Queues a job; returns false (without running it) once stopped.
    @discardableResult
    func submit(_ job: @escaping Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Runs `body` on the worker thread and returns its result to the caller.
    func run<T: Sendable>(_ body: @escaping @Sendable (State) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let accepted = submit { state in
                continuation.resume(with: Result { try body(state) })
            }
            if !accepted {
                continuation.resume(throwing: EmbeddingError(.workerStopped, "the embedding worker has been shut down"))
            }
        }
    }

    /// Lets queued jobs finish, then ends the thread. Later submissions are refused.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty {
                // Stopped and drained: release the state and the thread's
                // reference to self.
                state = nil
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            let current = state
            condition.unlock()
            if let current { job(current) }
        }
    }
}
