import Dispatch
import Synchronization

/// A unit of work for a worker thread. Exactly one of `run` or `fail` is called, by whoever
/// takes the job off the queue under its lock, so each caller's continuation resumes once.
struct PostgresJob: Sendable {
    let run: @Sendable (PostgresWorker) -> Void
    let fail: @Sendable (PostgresError) -> Void
}

/// The bounded FIFO between the client (producers) and its worker threads (consumers).
///
/// Idle workers sleep on a semaphore, so waiting for work blocks only the dedicated threads,
/// never the Swift concurrency pool. One shared queue means a job goes to whichever
/// connection frees up first.
final class PostgresJobQueue: Sendable {
    private struct State {
        var jobs: [PostgresJob] = []
        var head = 0
        var closed = false

        var count: Int { jobs.count - head }

        mutating func popFirst() -> PostgresJob? {
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            head += 1
            if head >= 256 && head * 2 >= jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    private let capacity: Int
    private let address: String

    init(capacity: Int, address: String) {
        self.capacity = max(1, capacity)
        self.address = address
    }

    /// Enqueues `job`, or returns the error to fail it with (closed, or full: fail fast
    /// rather than grow without bound).
    func submit(_ job: PostgresJob) -> PostgresError? {
        let rejection: PostgresError? = state.withLock { state in
            if state.closed { return PostgresError(.closed, "client is shut down", address: address) }
            if state.count >= capacity {
                return PostgresError(.overloaded, "too many statements waiting (limit \(capacity))", address: address)
            }
            state.jobs.append(job)
            return nil
        }
        if rejection == nil { available.signal() }
        return rejection
    }

    /// Blocks the calling worker thread until a job arrives; nil once closed and drained.
    func next() -> PostgresJob? {
        while true {
            available.wait()
            let (job, closed) = state.withLock { state in (state.popFirst(), state.closed) }
            if let job { return job }
            if closed { return nil }
        }
    }

    /// Rejects further submissions, returns the jobs that never started and wakes `workers`
    /// sleeping threads so they exit.
    func close(workers: Int) -> [PostgresJob] {
        let pending: [PostgresJob] = state.withLock { state in
            state.closed = true
            let pending = Array(state.jobs[state.head...])
            state.jobs = []
            state.head = 0
            return pending
        }
        for _ in 0..<workers { available.signal() }
        return pending
    }
}
