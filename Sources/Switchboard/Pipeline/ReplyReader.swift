import Foundation
import Kafka
import Logging
import Synchronization

/// Waits for replies on a reply topic, matched to requests by request id.
///
/// It reads every partition of the topic from the end offsets it saw before the first request
/// was sent (assignment, not group membership, so there is no rebalance delay and no reply is
/// missed). Used by `submit`, the HTTP ingress and the benchmarks.
public final class ReplyReader: Sendable {
    public struct Arrival: Sendable {
        public var record: KafkaRecord
        public var receivedAt: ContinuousClock.Instant
    }

    private let consumer: KafkaConsumer
    /// Waiters and replies that arrived before their waiter, under one lock so a reply can
    /// never slip between the two.
    private struct Rendezvous {
        var waiting: [String: Waiter] = [:]
        var early: [String: Arrival] = [:]
        /// Streamed requests: every delta, then the final reply, which ends the stream.
        var streams: [String: AsyncStream<Arrival>.Continuation] = [:]
    }
    private struct Waiter {
        var continuation: CheckedContinuation<Arrival, any Error>
        var deadline: ContinuousClock.Instant
        var timeout: Duration
    }
    private let rendezvous = Mutex(Rendezvous())
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let onArrival: (@Sendable (Arrival) -> Void)?
    public let topic: String

    /// Starts reading `topic` from its current end. `onArrival` sees every record (benchmarks).
    public init(configuration: KafkaConfiguration, topic: String, logger: Logger,
                onArrival: (@Sendable (Arrival) -> Void)? = nil) async throws(KafkaError) {
        consumer = try KafkaConsumer(configuration: configuration, groupID: "switchboard-reply-\(UUID().uuidString.prefix(8))", logger: logger)
        self.topic = topic
        self.onArrival = onArrival
        // A reply topic created a moment ago may not have a leader yet: ask again briefly.
        var attempt = 0
        var offsets: [TopicPartition: Int64]
        while true {
            do {
                offsets = try await consumer.endOffsets(topic: topic)
                if !offsets.isEmpty { break }
            } catch where attempt < 50 {
                logger.debug("reply topic not ready yet: \(error)")
            }
            attempt += 1
            if attempt > 50 { throw KafkaError(.consume, "reply topic \(topic) has no partitions") }
            try? await Task.sleep(for: .milliseconds(100))
        }
        // Replies are matched on the poll thread as they arrive: a lookup and a resume, no task
        // hop per reply.
        try consumer.assign(offsets) { [weak self] record in
            self?.deliver(Arrival(record: record, receivedAt: .now))
        }
        // One sweeper fails the waits whose time is up (instead of a timer task per wait).
        let sweeper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.sweepInterval)
                guard let reader = self else { return }
                reader.failExpired()
            }
        }
        task.withLock { $0 = sweeper }
    }

    /// How often waits past their deadline are failed: the precision of `wait(for:timeout:)`.
    static let sweepInterval: Duration = .milliseconds(20)

    private func failExpired() {
        let now = ContinuousClock.now
        let expired = rendezvous.withLock { r -> [(String, Waiter)] in
            let due = r.waiting.filter { $0.value.deadline <= now }
            for (id, _) in due { r.waiting.removeValue(forKey: id) }
            return Array(due)
        }
        for (id, waiter) in expired {
            waiter.continuation.resume(throwing: ReplyTimeout(requestID: id, timeout: waiter.timeout))
        }
    }

    private func deliver(_ arrival: Arrival) {
        onArrival?(arrival)
        guard let id = arrival.record.header(CEHeader.requestID) else { return }
        let isFinal = arrival.record.header(CEHeader.type) != ReplyReader.deltaType
        let keepEarly = onArrival == nil && isFinal
        let (continuation, stream) = rendezvous.withLock { r -> (CheckedContinuation<Arrival, any Error>?, AsyncStream<Arrival>.Continuation?) in
            if let stream = r.streams[id] {
                if isFinal { r.streams.removeValue(forKey: id) }
                return (nil, stream)
            }
            // Deltas matter only to a stream; a plain waiter gets the final reply.
            guard isFinal else { return (nil, nil) }
            if let waiter = r.waiting.removeValue(forKey: id) { return (waiter.continuation, nil) }
            // A reply can beat the caller's wait; keep it (bounded) for `wait(for:)`.
            if keepEarly {
                if r.early.count > 10_000 { r.early.removeAll() }
                r.early[id] = arrival
            }
            return (nil, nil)
        }
        continuation?.resume(returning: arrival)
        if let stream {
            stream.yield(arrival)
            if isFinal { stream.finish() }
        }
    }

    /// `ce_type` of the delta events of a streamed answer.
    public static let deltaType = "llm.reply.delta.v1"

    /// Every event of a streamed request: its deltas in order, then the final reply, after
    /// which the sequence ends. Register before the request is sent; `cancel` drops it.
    /// The sequence also ends, without a final reply, once `timeout` has passed.
    public func stream(for requestID: String, timeout: Duration) -> AsyncStream<Arrival> {
        let (stream, continuation) = AsyncStream<Arrival>.makeStream(bufferingPolicy: .bufferingNewest(100_000))
        rendezvous.withLock { $0.streams[requestID] = continuation }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            continuation.finish()
        }
        continuation.onTermination = { [weak self] _ in
            timer.cancel()
            _ = self?.rendezvous.withLock { $0.streams.removeValue(forKey: requestID) }
        }
        return stream
    }

    /// The reply record for `requestID`, or a timeout error after `timeout`.
    public func wait(for requestID: String, timeout: Duration) async throws -> Arrival {
        try await wait(for: requestID, timeout: timeout) { _ in }
    }

    /// Registers the wait for `requestID`, then calls `send`, which sends the request and calls
    /// its argument if that fails (the wait then throws that error). The request thus goes out
    /// without a task waiting for its delivery report, and its reply can never arrive unawaited.
    public func wait(for requestID: String, timeout: Duration,
                     sending send: (@escaping @Sendable (any Error) -> Void) -> Void) async throws -> Arrival {
        try await withCheckedThrowingContinuation { continuation in
            let ready = rendezvous.withLock { r -> Arrival? in
                if let ready = r.early.removeValue(forKey: requestID) { return ready }
                r.waiting[requestID] = Waiter(continuation: continuation, deadline: .now + timeout, timeout: timeout)
                return nil
            }
            if let ready {
                continuation.resume(returning: ready)
                return
            }
            send { [weak self] error in
                self?.rendezvous.withLock { $0.waiting.removeValue(forKey: requestID) }?.continuation.resume(throwing: error)
            }
        }
    }

    public func close() async {
        await consumer.close()
        task.withLock { $0 }?.cancel()
        let (pending, streams) = rendezvous.withLock { r in
            defer { r.waiting.removeAll(); r.streams.removeAll() }
            return (Array(r.waiting.values), Array(r.streams.values))
        }
        for waiter in pending { waiter.continuation.resume(throwing: CancellationError()) }
        for stream in streams { stream.finish() }
    }
}

/// No reply arrived in time.
public struct ReplyTimeout: Error, CustomStringConvertible {
    public var requestID: String
    public var timeout: Duration
    public var description: String { "no reply to \(requestID) within \(timeout)" }
}
