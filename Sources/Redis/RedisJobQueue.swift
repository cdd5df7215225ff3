import Dispatch
import Synchronization

/// A unit of work handed to a worker thread.
///
/// Exactly one of `run` or `fail` is called, by whoever removes the job from the
/// queue under its lock (a worker, `cancel` or `close`); that ownership rule is
/// what guarantees each caller's continuation is resumed exactly once.
struct RedisJob: Sendable {
    let id: UInt64
    /// Runs on the worker thread with that worker's connection state.
    let run: @Sendable (RedisWorker) -> Void
    /// Completes the job without running it.
    let fail: @Sendable (RedisError) -> Void
}

/// The bounded FIFO shared by the client (producers) and its worker threads
/// (consumers).
///
/// State lives in a `Mutex`; idle workers sleep on a counting semaphore so that
/// waiting for work blocks only the dedicated worker threads, never the Swift
/// concurrency pool. One shared queue (rather than one per worker) means a job
/// goes to whichever connection frees up first.
final class RedisJobQueue: Sendable {
    private struct State {
        var jobs: [RedisJob] = []
        /// Index of the oldest job; popped slots are compacted away lazily.
        var head = 0
        var closed = false

        var count: Int { jobs.count - head }

        mutating func popFirst() -> RedisJob? {
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            head += 1
            if head >= 1024 && head * 2 >= jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    private let nextID = Atomic<UInt64>(1)
    private let capacity: Int
    private let address: String

    init(capacity: Int, address: String) {
        self.capacity = max(1, capacity)
        self.address = address
    }

    /// A fresh id, handed out before submission so a cancellation handler can
    /// refer to the job even if it fires first.
    func makeJobID() -> UInt64 {
        nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Enqueues `job`, or returns the error to complete it with when the client is
    /// closed or the queue is full (fail fast instead of growing without bound).
    func submit(_ job: RedisJob) -> RedisError? {
        let rejection: RedisError? = state.withLock { state in
            if state.closed {
                return RedisError(.closed, "client is shut down", address: address)
            }
            if state.count >= capacity {
                return RedisError(.overloaded, "too many pending commands (limit \(capacity))", address: address)
            }
            state.jobs.append(job)
            return nil
        }
        if rejection == nil { available.signal() }
        return rejection
    }

    /// Blocks the calling worker thread until a job arrives; `nil` once closed.
    func next() -> RedisJob? {
        while true {
            available.wait()
            let (job, closed) = state.withLock { state in (state.popFirst(), state.closed) }
            if let job { return job }
            if closed { return nil }
            // The job this wake-up was for has been cancelled; wait again.
        }
    }

    /// Removes a still-queued job so its caller can stop waiting; `nil` when a
    /// worker already took it (it then completes normally).
    func cancel(id: UInt64) -> RedisJob? {
        state.withLock { state in
            guard let index = state.jobs[state.head...].firstIndex(where: { $0.id == id }) else { return nil }
            return state.jobs.remove(at: index)
        }
    }

    /// Rejects all further submissions, returns the jobs that never started and
    /// wakes `workers` sleeping threads so they can exit.
    func close(workers: Int) -> [RedisJob] {
        let pending: [RedisJob] = state.withLock { state in
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
