import Foundation

/// A Switchboard process the benchmark starts, with its CPU time and peak memory read from
/// `/proc`, so the figures cover exactly the product's processes and not the load generator.
public final class ChildProcess: Sendable {
    public let name: String
    private let process: Process

    /// Starts `executable arguments`, its stderr going to `logPath`.
    public init(name: String, executable: String, arguments: [String], logPath: String) throws {
        self.name = name
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        self.process = process
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// User + system CPU seconds so far (`/proc/<pid>/stat` fields 14 and 15).
    public func cpuSeconds() -> Double {
        ProcStat(path: procDirectory(pid) + "/stat")?.cpuSeconds ?? .nan
    }

    /// Peak resident set size in MiB (`VmHWM`).
    public func peakRSSMiB() -> Double {
        ProcessFigures.peakRSSMiB(pid: pid)
    }

    /// SIGTERM, then wait for the exit.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

extension ChildProcess {
    /// A loopback TCP port free right now (the system picks it), for a child to listen on.
    /// Random picks collide with the ephemeral ports of the benchmark's own Kafka connections.
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return Int.random(in: 20_000..<32_000) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : Int.random(in: 20_000..<32_000)
    }
}
