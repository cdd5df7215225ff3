import Kafka

/// Tracks records in flight per partition and yields the highest offset below which every
/// record is finished: what the runner may commit while later records are still working.
///
/// Offsets of a partition arrive in increasing order, so the in-flight set is a queue whose
/// finished head is popped; each operation is amortised O(1). A partition's state carries an
/// epoch, renewed when the partition is assigned again, so a completion of a record fetched
/// before a rebalance can never move the offset of the new assignment.
struct OffsetTracker {
    struct Ticket: Sendable, Hashable {
        let partition: TopicPartition
        let offset: Int64
        let epoch: Int
    }

    private struct PartitionState {
        var epoch: Int
        var queue: [Int64] = []
        var head = 0
        var done: Set<Int64> = []
        var nextOffset: Int64?
        var lastCommitted: Int64?

        var inFlight: Int { queue.count - head }

        mutating func pop() {
            while head < queue.count, done.remove(queue[head]) != nil {
                nextOffset = queue[head] + 1
                head += 1
            }
            if head > 512 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
        }
    }

    private var partitions: [TopicPartition: PartitionState] = [:]
    private var epochCounter = 0

    /// Starts tracking `offset`; returns the ticket to finish it with.
    mutating func begin(_ partition: TopicPartition, offset: Int64) -> Ticket {
        var state: PartitionState
        if let existing = partitions[partition] {
            state = existing
        } else {
            epochCounter += 1
            state = PartitionState(epoch: epochCounter)
        }
        state.queue.append(offset)
        partitions[partition] = state
        return Ticket(partition: partition, offset: offset, epoch: state.epoch)
    }

    /// Marks a record finished. Stale tickets (from a lost assignment) are ignored.
    mutating func finish(_ ticket: Ticket) {
        guard var state = partitions[ticket.partition], state.epoch == ticket.epoch else { return }
        state.done.insert(ticket.offset)
        state.pop()
        partitions[ticket.partition] = state
    }

    /// Records of `partition` not yet committable: running ones and finished ones behind them.
    func inFlight(_ partition: TopicPartition) -> Int {
        partitions[partition]?.inFlight ?? 0
    }

    var totalInFlight: Int { partitions.values.reduce(0) { $0 + $1.inFlight } }

    /// Offsets (next to read) that moved since the last call, to commit.
    mutating func takeCommittable() -> [TopicPartition: Int64] {
        var result: [TopicPartition: Int64] = [:]
        for (partition, var state) in partitions {
            if let next = state.nextOffset, next != state.lastCommitted {
                result[partition] = next
                state.lastCommitted = next
                partitions[partition] = state
            }
        }
        return result
    }

    /// Forgets `lost` partitions and returns what is safe to commit for them.
    mutating func revoke(_ lost: [TopicPartition]) -> [TopicPartition: Int64] {
        var result: [TopicPartition: Int64] = [:]
        for partition in lost {
            if let state = partitions.removeValue(forKey: partition), let next = state.nextOffset, next != state.lastCommitted {
                result[partition] = next
            }
        }
        return result
    }
}
