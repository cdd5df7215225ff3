import Foundation
import Synchronization

/// A unit of work handed to a worker thread.
///
/// Exactly one of its work's completion or `fail` is called, by whoever removes the job from
/// the queue under its lock (a worker, `cancel` or `close`); that ownership rule is what
/// guarantees each caller's continuation is resumed exactly once.
struct RedisJob: Sendable {
    enum Work: Sendable {
        /// Has the worker's connection to itself (script loading).
        case exclusive(@Sendable (RedisWorker) -> Void)
        /// Commands whose replies `finish` receives in order, on the worker thread, with the
        /// connection for a follow-up such as reloading a script. When `batchable`, a worker
        /// writes them in one go with the commands of other such jobs queued behind them and
        /// reads all the replies after (automatic pipelining); blocking commands (`BLPOP`,
        /// `WAIT`, ...) are not batchable, so they never hold up someone else's command.
        case commands([[RedisArgument]], batchable: Bool, finish: @Sendable (RedisConnection, ArraySlice<RedisValue>) -> Void)
    }

    let id: UInt64
    let work: Work
    /// Completes the job without running it.
    let fail: @Sendable (RedisError) -> Void

    var commandCount: Int {
        if case .commands(let commands, _, _) = work { return commands.count }
        return 0
    }

    var isBatchable: Bool {
        if case .commands(_, true, _) = work { return true }
        return false
    }
}

/// The bounded FIFO shared by the client (producers) and its worker threads (consumers).
///
/// Idle workers sleep on a condition variable, so waiting for work blocks only the dedicated
/// worker threads, never the Swift concurrency pool. One shared queue (rather than one per
/// worker) means a job goes to whichever connection frees up first, and a worker that wakes
/// takes every batchable job queued at that moment (up to a bound) for one round trip: under
/// load, commands from many callers share a write and a read instead of a thread wake-up and
/// two system calls each. A burst wakes one sleeping worker, not one per command; another
/// is woken only when work is left after a worker has taken its batch.
final class RedisJobQueue: @unchecked Sendable {
    // All mutable state below is guarded by `condition`'s lock.
    private let condition = NSCondition()
    private var jobs: [RedisJob] = []
    /// Index of the oldest job; taken slots are compacted away lazily.
    private var head = 0
    private var closed = false
    private var idleWorkers = 0
    /// Signals sent to sleeping workers that have not woken yet.
    private var wakesPending = 0

    private let nextID = Atomic<UInt64>(1)
    /// Round trips made and commands they carried, for ``RedisClient/statistics``.
    let roundTrips = Atomic<Int>(0)
    let commandsSent = Atomic<Int>(0)
    private let capacity: Int
    private let address: String

    init(capacity: Int, address: String) {
        self.capacity = max(1, capacity)
        self.address = address
    }

    private var count: Int { jobs.count - head }

    /// Jobs waiting for a worker.
    var waitingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }

    /// A fresh id, handed out before submission so a cancellation handler can refer to the job
    /// even if it fires first.
    func makeJobID() -> UInt64 {
        nextID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Enqueues `job`, or returns the error to complete it with when the client is closed or
    /// the queue is full (fail fast instead of growing without bound).
    func submit(_ job: RedisJob) -> RedisError? {
        condition.lock()
        defer { condition.unlock() }
        if closed {
            return RedisError(.closed, "client is shut down", address: address)
        }
        if count >= capacity {
            return RedisError(.overloaded, "too many pending commands (limit \(capacity))", address: address)
        }
        jobs.append(job)
        wakeOneIfIdle()
        return nil
    }

    /// Blocks the calling worker thread until work arrives and returns the oldest job; when
    /// that job is batchable, also the batchable jobs right behind it, up to `maxCommands`
    /// commands in all. `nil` once closed.
    func next(maxCommands: Int) -> [RedisJob]? {
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !closed {
            idleWorkers += 1
            condition.wait()
            idleWorkers -= 1
            if wakesPending > 0 { wakesPending -= 1 }
        }
        guard count > 0 else { return nil }
        var batch = [take()]
        if batch[0].isBatchable {
            var commands = batch[0].commandCount
            while count > 0, jobs[head].isBatchable, commands + jobs[head].commandCount <= maxCommands {
                commands += jobs[head].commandCount
                batch.append(take())
            }
        }
        if count > 0 { wakeOneIfIdle() }
        return batch
    }

    /// Removes a still-queued job so its caller can stop waiting; `nil` when a worker already
    /// took it (it then completes normally).
    func cancel(id: UInt64) -> RedisJob? {
        condition.lock()
        defer { condition.unlock() }
        guard let index = jobs[head...].firstIndex(where: { $0.id == id }) else { return nil }
        return jobs.remove(at: index)
    }

    /// Rejects all further submissions, returns the jobs that never started and wakes every
    /// sleeping worker so it can exit.
    func close() -> [RedisJob] {
        condition.lock()
        closed = true
        let pending = Array(jobs[head...])
        jobs = []
        head = 0
        condition.broadcast()
        condition.unlock()
        return pending
    }

    private func take() -> RedisJob {
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= jobs.count {
            jobs.removeFirst(head)
            head = 0
        }
        return job
    }

    private func wakeOneIfIdle() {
        guard idleWorkers > wakesPending else { return }
        wakesPending += 1
        condition.signal()
    }
}
