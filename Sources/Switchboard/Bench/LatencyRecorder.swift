import Foundation
import Synchronization

/// Collects latency samples and prints percentiles.
public final class LatencyRecorder: Sendable {
    private let samples = Mutex<[Double]>([])

    public init() {}

    public func record(ms: Double) {
        samples.withLock { $0.append(ms) }
    }

    public var count: Int { samples.withLock { $0.count } }

    /// p-th percentile (0...100) in milliseconds, nearest rank.
    public func percentile(_ p: Double) -> Double {
        let sorted = samples.withLock { $0 }.sorted()
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    public func summary() -> String {
        String(format: "p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms",
               percentile(50), percentile(90), percentile(99), percentile(99.9), percentile(100))
    }
}

/// The reply timings of a benchmark run, one recorder per timing name (`gateway_ms`, ...).
final class StageTimings: Sendable {
    private let recorders = Mutex<[String: LatencyRecorder]>([:])

    func record(_ timings: [String: Double]) {
        for (name, ms) in timings {
            recorders.withLock { all -> LatencyRecorder in
                if let existing = all[name] { return existing }
                let created = LatencyRecorder()
                all[name] = created
                return created
            }.record(ms: ms)
        }
    }

    /// Prints p50 and p99 of every timing, by name.
    func printTable() {
        print("  where the time goes (reply timings; *_queue_ms is Kafka time before a stage saw the record, 1 ms resolution):")
        for (name, recorder) in recorders.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            print("    " + name.padding(toLength: 20, withPad: " ", startingAt: 0)
                  + String(format: " p50 %7.2f ms  p99 %7.2f ms", recorder.percentile(50), recorder.percentile(99)))
        }
    }
}

/// Process figures: peak resident memory and CPU time.
public enum ProcessFigures {
    /// Peak resident set size in MiB (VmHWM) of this process, or of process `pid`.
    public static func peakRSSMiB(pid: Int32? = nil) -> Double { statusMiB("VmHWM:", pid: pid) }

    /// Current resident set size in MiB (VmRSS) of this process.
    public static func currentRSSMiB() -> Double { statusMiB("VmRSS:", pid: nil) }

    /// A kB field of `/proc/<pid>/status`, in MiB.
    private static func statusMiB(_ field: String, pid: Int32?) -> Double {
        guard let status = try? String(contentsOfFile: procDirectory(pid) + "/status", encoding: .utf8) else { return .nan }
        for line in status.split(separator: "\n") where line.hasPrefix(field) {
            return (line.split(separator: " ").compactMap { Double($0) }.first ?? .nan) / 1024
        }
        return .nan
    }

    /// User + system CPU seconds of this process so far.
    public static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}

/// Sends `count` items at `rate` per second (0: as fast as possible), calling `send` for each
/// without waiting for the previous one.
public enum PacedSender {
    public static func run(count: Int, rate: Double, send: @escaping @Sendable (Int) async -> Void) async {
        let start = ContinuousClock.now
        // A discarding group frees each finished send at once; a plain task group would keep
        // every child until the end and grow the load generator's memory with the run.
        await withDiscardingTaskGroup { group in
            var index = 0
            while index < count {
                if rate > 0 {
                    let due = Int((ContinuousClock.now - start).inSeconds * rate) + 1
                    if index >= due {
                        // Sleep until the next request is due: one wake-up per request, so the
                        // load generator's own CPU stays out of the figures as far as it can.
                        try? await Task.sleep(until: start + .seconds(Double(index) / rate), tolerance: .microseconds(100))
                        continue
                    }
                    let upto = min(count, due)
                    while index < upto {
                        let i = index
                        group.addTask { await send(i) }
                        index += 1
                    }
                } else {
                    let i = index
                    group.addTask { await send(i) }
                    index += 1
                    if index % 512 == 0 { await Task.yield() }
                }
            }
        }
    }
}
