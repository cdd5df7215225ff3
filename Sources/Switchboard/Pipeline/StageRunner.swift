import Kafka
import Logging
import ServiceLifecycle
import Synchronization

/// Runs one stage as a consumer-group member: consume, process many records at once within a
/// bounded window, produce every output and wait for its delivery report, then commit the
/// highest offset below which everything is finished. At-least-once, never at-most-once.
///
/// Backpressure: a partition with `window` records in flight is paused until half of them are
/// done, and the whole process holds at most `maxInFlight` records. On shutdown (SIGTERM or
/// cancellation) it stops fetching, lets in-flight records finish within `drainTimeout`,
/// commits, and leaves the group.
public final class StageRunner: Service, Sendable {
    public struct Options: Sendable {
        public var window: Int = 1000
        public var maxInFlight: Int = 4000
        public var commitInterval: Duration = .milliseconds(20)
        public var drainTimeout: Duration = .seconds(20)
        public var deadLetterTopic: String = "llm.dlq.v1"
        /// Consumer group; every process running the stage shares it (default `switchboard-<stage>`).
        public var groupID: String?

        public init(window: Int = 1000, maxInFlight: Int = 4000, deadLetterTopic: String = "llm.dlq.v1", groupID: String? = nil) {
            self.window = window
            self.maxInFlight = maxInFlight
            self.deadLetterTopic = deadLetterTopic
            self.groupID = groupID
        }
    }

    private let stage: any Stage
    private let consumerConfiguration: KafkaConfiguration
    private let producer: KafkaProducer
    private let options: Options
    private let logger: Logger
    private let metrics: StageMetrics
    private let progress: Progress
    private let stopping = Atomic<Bool>(false)
    private let consumerBox = Mutex<KafkaConsumer?>(nil)

    /// Offset bookkeeping shared with the rebalance listener (which runs on the poll thread).
    final class Progress: KafkaRebalanceListener, Sendable {
        let tracker = Mutex(OffsetTracker())
        let paused = Mutex<Set<TopicPartition>>([])
        let assigned = Atomic<Bool>(false)
        func partitionsAssigned(_ partitions: [TopicPartition]) {
            assigned.store(true, ordering: .releasing)
        }
        func partitionsRevoked(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
            tracker.withLock { $0.revoke(partitions) }
        }
    }

    public init(stage: any Stage, consumer: KafkaConfiguration, producer: KafkaProducer, options: Options, logger: Logger) {
        self.stage = stage
        self.consumerConfiguration = consumer
        self.producer = producer
        self.options = options
        self.logger = logger
        self.metrics = StageMetrics(stage: stage.name)
        self.progress = Progress()
    }

    /// Consumes until shutdown; see the type's documentation for the guarantees.
    public func run() async throws {
        let consumer = try KafkaConsumer(configuration: consumerConfiguration, groupID: options.groupID ?? "switchboard-\(stage.name)",
                                         logger: logger, rebalanceListener: progress)
        consumerBox.withLock { $0 = consumer }
        try consumer.subscribe(stage.inputTopics)
        logger.info("stage started", metadata: ["stage": "\(stage.name)", "topics": "\(stage.inputTopics)"])
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await consumeLoop(consumer)
            } onCancel: {
                self.requestStop()
            }
        } onGracefulShutdown: {
            self.requestStop()
        }
        await consumer.close()
        logger.info("stage stopped", metadata: ["stage": "\(stage.name)"])
    }

    /// True once the group gave this member its first partitions: from then on records flow.
    public var hasPartitions: Bool { progress.assigned.load(ordering: .acquiring) }

    /// Stops fetching; `run` then drains, commits and returns.
    public func requestStop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        consumerBox.withLock { $0 }?.stopFetching()
    }

    private func consumeLoop(_ consumer: KafkaConsumer) async throws {
        let slots = AsyncSemaphore(permits: options.maxInFlight)
        let outstanding = AsyncSemaphore(permits: 0)
        let window = options.window
        let committer = Task { [progress, options, logger] in
            while !Task.isCancelled {
                try? await Task.sleep(for: options.commitInterval)
                let offsets = progress.tracker.withLock { $0.takeCommittable() }
                do { try consumer.commit(offsets) } catch { logger.warning("commit failed: \(error)") }
            }
        }
        var started = 0
        while let record = await consumer.next() {
            await slots.acquire()
            let partition = TopicPartition(record.topic, record.partition)
            let (ticket, full) = progress.tracker.withLock { tracker in
                let ticket = tracker.begin(partition, offset: record.offset)
                return (ticket, tracker.inFlight(partition) >= window)
            }
            if full, progress.paused.withLock({ $0.insert(partition).inserted }) {
                consumer.pause([partition])
            }
            started += 1
            metrics.consumed.increment()
            metrics.inFlight.record(progress.tracker.withLock { $0.totalInFlight })
            Task { [self, progress] in
                await self.handle(record) {
                    let resume = progress.tracker.withLock { tracker -> Bool in
                        tracker.finish(ticket)
                        return tracker.inFlight(partition) <= window / 2
                    }
                    if resume, progress.paused.withLock({ $0.remove(partition) != nil }) {
                        consumer.resume([partition])
                    }
                    slots.release()
                    outstanding.release()
                }
            }
        }
        // Fetching stopped: wait for in-flight records, bounded by the drain timeout.
        let total = started
        let drained = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for _ in 0..<total { await outstanding.acquire() }
                return true
            }
            group.addTask { [options] in
                try? await Task.sleep(for: options.drainTimeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !drained {
            logger.warning("shutdown: records still in flight after the drain timeout; they will be redelivered")
        }
        committer.cancel()
        let offsets = progress.tracker.withLock { $0.takeCommittable() }
        do {
            try await consumer.commitAndWait(offsets)
        } catch {
            logger.warning("final commit failed: \(error)")
        }
    }

    /// Processes one record and produces its outputs; `done` runs once every output is
    /// acknowledged (or has failed for good), on the producer's delivery thread: no task waits
    /// for the delivery reports.
    private func handle(_ record: KafkaRecord, done: @escaping @Sendable () -> Void) async {
        let start = ContinuousClock.now
        let result = await stage.process(record)
        var outputs = result.outputs
        if let reason = result.deadLetter {
            metrics.deadLettered.increment()
            logger.warning("dead-lettered", metadata: [
                "stage": "\(stage.name)", "reason": "\(reason.code)", "detail": "\(reason.detail.prefix(200))",
                "topic": "\(record.topic)", "partition": "\(record.partition)", "offset": "\(record.offset)",
            ])
            outputs.append(DeadLetterHeader.record(for: record, reason: reason, stage: stage.name, topic: options.deadLetterTopic))
        }
        let metrics = self.metrics
        let finished: @Sendable () -> Void = {
            metrics.duration.record(duration: ContinuousClock.now - start)
            done()
        }
        guard !outputs.isEmpty else { return finished() }
        let remaining = Countdown(outputs.count, then: finished)
        for output in outputs {
            produce(output, for: record, then: remaining.tick)
        }
    }

    /// Produces `output`, retrying transient failures with backoff; `done` runs once it is
    /// acknowledged or has failed for good (then a trace goes to the dead-letter topic).
    private func produce(_ output: KafkaOutgoingRecord, for input: KafkaRecord, retryDelay: Duration = .milliseconds(50),
                         then done: @escaping @Sendable () -> Void) {
        producer.produce(output) { [self] result in
            switch result {
            case .success:
                metrics.produced(topic: output.topic)
                done()
            case .failure(let error) where error.isRetriable && !stopping.load(ordering: .acquiring):
                logger.warning("produce to \(output.topic) failed, retrying: \(error)")
                Task {
                    try? await Task.sleep(for: retryDelay)
                    self.produce(output, for: input, retryDelay: min(retryDelay * 2, .seconds(2)), then: done)
                }
            case .failure(let error):
                metrics.produceFailures.increment()
                logger.error("produce to \(output.topic) failed: \(error)", metadata: [
                    "source_topic": "\(input.topic)", "partition": "\(input.partition)", "offset": "\(input.offset)",
                ])
                guard output.topic != options.deadLetterTopic else { return done() }
                // Keep a trace of the record whose output could not be written.
                var letter = DeadLetterHeader.record(
                    for: input, reason: DeadLetterReason(code: "output_failed", detail: "\(output.topic): \(error)"),
                    stage: stage.name, topic: options.deadLetterTopic)
                letter.value = nil
                producer.produce(letter) { _ in done() }
            }
        }
    }
}

/// Runs `then` once `tick` has been called `count` times, from whichever thread ticks last.
final class Countdown: Sendable {
    private let left: Atomic<Int>
    private let then: @Sendable () -> Void

    init(_ count: Int, then: @escaping @Sendable () -> Void) {
        left = Atomic(count)
        self.then = then
    }

    @Sendable func tick() {
        if left.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { then() }
    }
}
