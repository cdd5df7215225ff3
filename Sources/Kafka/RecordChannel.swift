import Foundation

/// A bounded hand-off from the consumer's poll thread to one async reader.
///
/// The poll thread blocks (with a timeout) when the buffer is full, which stops fetching
/// rather than buffering without bound; the reader suspends when it is empty.
final class RecordChannel: @unchecked Sendable {
    // All fields below are guarded by `condition`.
    private let condition = NSCondition()
    private var buffer: [KafkaRecord] = []
    private var head = 0
    private var waiter: CheckedContinuation<KafkaRecord?, Never>?
    private var finished = false
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Blocks the calling (non-pool) thread until there is room or `timeout` passes.
    /// Returns false when the record could not be placed; the caller keeps it and retries.
    func push(_ record: KafkaRecord, timeout: TimeInterval) -> Bool {
        condition.lock()
        if finished {
            condition.unlock()
            return true
        }
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: record)
            return true
        }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while buffer.count - head >= capacity && !finished {
            if !condition.wait(until: deadline) {
                condition.unlock()
                return false
            }
        }
        if !finished {
            buffer.append(record)
        }
        condition.unlock()
        return true
    }

    /// The next record, or nil once the channel is finished and drained.
    func next() async -> KafkaRecord? {
        await withCheckedContinuation { continuation in
            condition.lock()
            if head < buffer.count {
                let record = buffer[head]
                head += 1
                if head > 1024 && head * 2 > buffer.count {
                    buffer.removeFirst(head)
                    head = 0
                }
                condition.signal()
                condition.unlock()
                continuation.resume(returning: record)
            } else if finished {
                condition.unlock()
                continuation.resume(returning: nil)
            } else {
                waiter = continuation
                condition.unlock()
            }
        }
    }

    /// Drops buffered records of partitions this consumer no longer owns.
    func purge(_ partitions: Set<TopicPartition>) {
        condition.lock()
        let kept = buffer[head...].filter { !partitions.contains(TopicPartition($0.topic, $0.partition)) }
        buffer = Array(kept)
        head = 0
        condition.broadcast()
        condition.unlock()
    }

    /// Ends the channel: the reader gets nil after the buffered records.
    func finish() {
        condition.lock()
        finished = true
        let waiter = self.waiter
        self.waiter = nil
        condition.broadcast()
        condition.unlock()
        waiter?.resume(returning: nil)
    }
}
