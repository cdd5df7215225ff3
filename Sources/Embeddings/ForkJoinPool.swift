import Foundation

/// A fixed set of helper threads that run one function on every thread index
/// at once and return when all are done (fork–join).
///
/// The encoder splits each phase of a forward pass (rows of the projections
/// and feed-forward network, heads of attention) across the cores this way,
/// with OpenBLAS itself single-threaded: the element-wise work and the small
/// per-head products then run in parallel too, and no BLAS worker threads sit
/// spinning while the encoder's own code runs.
final class ForkJoinPool: @unchecked Sendable {
    // @unchecked: all mutable state is guarded by `condition`; the job
    // closure is only called between `run`'s fork and join, while its caller
    // waits, so whatever it captures outlives every use.

    /// Total threads taking part in `run`, the caller included.
    let threads: Int

    private let condition = NSCondition()
    private var job: ((Int) -> Void)?
    /// Incremented for every `run`, so helpers tell a new job from the last one.
    private var generation = 0
    private var pending = 0
    private var stopping = false

    /// Starts `threads - 1` helper threads. They keep the pool alive until
    /// `stop()` is called.
    init(threads: Int, name: String) {
        self.threads = max(1, threads)
        for index in 1..<self.threads {
            let thread = Thread { [self] in self.helper(index) }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Calls `body(i)` for every i in 0..<threads, i = 0 on the calling
    /// thread, and returns when all calls have returned.
    func run(_ body: (Int) -> Void) {
        if threads == 1 {
            body(0)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            condition.lock()
            job = escapable
            generation += 1
            pending = threads - 1
            condition.broadcast()
            condition.unlock()

            escapable(0)

            condition.lock()
            while pending > 0 { condition.wait() }
            job = nil
            condition.unlock()
        }
    }

    /// Ends the helper threads after any running job.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func helper(_ index: Int) {
        var seen = 0
        while true {
            condition.lock()
            while generation == seen && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            seen = generation
            var current = job
            condition.unlock()

            current?(index)
            // Drop the reference before reporting completion: `run` must see
            // the closure unreferenced when it returns.
            current = nil

            condition.lock()
            pending -= 1
            if pending == 0 { condition.broadcast() }
            condition.unlock()
        }
    }
}
