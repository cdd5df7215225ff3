import Foundation

/// CPU time per kind of thread of a process, read from `/proc/<pid>/task/*/stat`, so a
/// benchmark can say where its CPU per request goes: Swift tasks (stage code, JSON, the
/// simulator's handlers), librdkafka's own threads, the Kafka poll threads, libcurl, SwiftNIO.
///
/// Threads are grouped by name (librdkafka and SwiftNIO name theirs; the Kafka layer and the
/// HTTP client name their own). The resolution is the kernel's clock tick (10 ms), and a thread
/// that ends between two snapshots is not counted, so use it over runs of seconds.
public struct ThreadCPU: Sendable {
    /// CPU seconds per thread id, with the thread's group.
    private var threads: [Int: (group: String, seconds: Double)] = [:]

    /// The threads of `pid` (this process when nil) right now.
    public static func snapshot(pid: Int32? = nil) -> ThreadCPU {
        var result = ThreadCPU()
        let base = procDirectory(pid) + "/task"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] {
            guard let tid = Int(entry), let stat = ProcStat(path: "\(base)/\(entry)/stat") else { continue }
            result.threads[tid] = (group(of: stat.name), stat.cpuSeconds)
        }
        return result
    }

    /// CPU seconds per group spent since `earlier` (threads present in both snapshots).
    public func since(_ earlier: ThreadCPU) -> [String: Double] {
        var groups: [String: Double] = [:]
        for (tid, now) in threads {
            let before = earlier.threads[tid]?.seconds ?? 0
            groups[now.group, default: 0] += max(0, now.seconds - before)
        }
        return groups
    }

    /// The group a thread name belongs to.
    static func group(of name: String) -> String {
        switch name {
        case _ where name.hasPrefix("rdk:broker"): "librdkafka brokers"
        case _ where name.hasPrefix("rdk:"): "librdkafka main"
        case _ where name.hasPrefix("kafka-consumer"): "Kafka poll"
        case _ where name.hasPrefix("kafka-producer"): "Kafka delivery"
        case _ where name.hasPrefix("kafka-"): "Kafka calls"
        case _ where name.contains("qos"): "Swift tasks"
        case _ where name.hasPrefix("NIO-"): "SwiftNIO"
        case _ where name.hasPrefix("http-client"): "libcurl"
        case _ where name.hasPrefix("redis-"): "hiredis"
        default: "other"
        }
    }

    /// One line: milliseconds of CPU per request for each group, largest first.
    public static func summary(_ groups: [String: Double], requests: Int) -> String {
        groups.filter { $0.value > 0 }.sorted { $0.value > $1.value }
            .map { String(format: "%@ %.3f", $0.key, $0.value * 1000 / Double(max(1, requests))) }
            .joined(separator: ", ")
    }
}

/// `/proc/<pid>`, or `/proc/self` for this process.
func procDirectory(_ pid: Int32?) -> String {
    "/proc/" + (pid.map { String($0) } ?? "self")
}

/// One `/proc/<pid>/stat` (or a thread's `task/<tid>/stat`): the command name and CPU time.
struct ProcStat {
    let name: String
    /// User + system CPU seconds (fields 14 and 15).
    let cpuSeconds: Double

    init?(path: String) {
        guard let stat = try? String(contentsOfFile: path, encoding: .utf8),
              let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
        // The name may contain spaces and parentheses: the fields start after the last ')',
        // with the state (field 3) first.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        name = String(stat[stat.index(after: open)..<close])
        cpuSeconds = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// The dev broker's CPU time (`switchboard dev kafka`, found by its pid file beside the
/// bootstrap file), so a benchmark can show the broker's share: on the dev broker the cost of a
/// fetch grows with the partition's log (librdkafka 2.0.2's mock scans a partition's message
/// sets from the first on every fetch), which long runs feel and a real cluster does not.
public struct DevBrokerCPU: Sendable {
    let pid: Int32
    let start: Double

    /// Nil when no dev broker of this checkout is running (a real cluster, or another state dir).
    public static func start() -> DevBrokerCPU? {
        guard let text = try? String(contentsOfFile: DevState.kafkaPIDFile(), encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let stat = ProcStat(path: procDirectory(pid) + "/stat") else { return nil }
        return DevBrokerCPU(pid: pid, start: stat.cpuSeconds)
    }

    /// "; dev broker 0.243 ms" for the CPU the broker spent since `start()`, per request.
    public func summary(requests: Int) -> String {
        guard let now = ProcStat(path: procDirectory(pid) + "/stat") else { return "" }
        return String(format: "; dev broker (other process) %.3f ms", (now.cpuSeconds - start) * 1000 / Double(max(1, requests)))
    }
}

/// What a benchmark run cost in CPU: this process in all, by kind of thread, and the dev broker.
struct RunCPU {
    private let process = ProcessFigures.cpuSeconds()
    private let threads = ThreadCPU.snapshot()
    private let broker = DevBrokerCPU.start()

    /// This process's CPU since the start, in milliseconds per request.
    func msPerRequest(_ requests: Int) -> Double {
        (ProcessFigures.cpuSeconds() - process) * 1000 / Double(max(1, requests))
    }

    /// "; dev broker (other process) …; <name> (this process) …": what the processes beside the
    /// measured ones took of the same cores, per request.
    func alongside(requests: Int, thisProcess name: String) -> String {
        (broker?.summary(requests: requests) ?? "") + String(format: "; %@ (this process) %.3f ms", name, msPerRequest(requests))
    }

    /// "  CPU by thread, ms per request: …; dev broker (other process) …"
    func byThread(requests: Int) -> String {
        "  CPU by thread, ms per request: " + ThreadCPU.summary(ThreadCPU.snapshot().since(threads), requests: requests)
            + (broker?.summary(requests: requests) ?? "")
    }
}
