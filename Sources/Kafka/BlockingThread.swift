import Foundation
import Synchronization

/// Runs blocking C calls on threads of their own so the Swift concurrency pool never waits.
enum BlockingThread {
    /// Runs `body` on a new thread and resumes the caller with its result.
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                nameCurrentThread(name)
                continuation.resume(returning: body())
            }
            thread.start()
        }
    }
}

/// A thread that calls `body` repeatedly until stopped; `body` is expected to block for a
/// bounded time (a poll with a timeout) so `stop` is noticed promptly.
final class PollingThread: Sendable {
    private let flag = RunFlag()
    private let finished = DispatchSemaphore(value: 0)

    init(name: String, body: @escaping @Sendable () -> Void) {
        let thread = Thread { [flag, finished] in
            nameCurrentThread(name)
            while flag.running.load(ordering: .acquiring) {
                body()
            }
            finished.signal()
        }
        thread.start()
    }

    /// Asks the loop to stop and waits for it, off the concurrency pool.
    func stop() async {
        guard flag.running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        let finished = self.finished
        await BlockingThread.run(name: "kafka-stop") { finished.wait() }
    }

    /// Asks the loop to stop without waiting (from deinit).
    func requestStop() {
        flag.running.store(false, ordering: .releasing)
    }

    var isRunning: Bool { flag.running.load(ordering: .acquiring) }
}

/// A stop flag a thread's closure can hold while its owner may go away.
final class RunFlag: Sendable {
    let running = Atomic<Bool>(true)
}

/// Names the calling thread for `top -H`, profilers and debuggers, as the Redis workers do. On
/// Linux only a name set from inside the thread reaches the OS, and only up to 15 bytes.
func nameCurrentThread(_ name: String) {
    Thread.current.name = String(name.prefix(15))
}
