import Foundation

/// Throughput benchmark of `MiniLMEmbedder` on the shared benchmark corpora
/// (`shared/data/embed-bench/short.jsonl` and `passages.jsonl`: 1,000 texts
/// each, one JSON object with a `text` field per line).
///
/// Prints texts/s, CPU seconds per pass, peak RSS, the OpenBLAS kernel set
/// and where the time went. Build in release mode for meaningful figures.
public enum EmbeddingBenchmark {
    /// Figures for one corpus.
    public struct Result: Sendable {
        /// Corpus file name.
        public let corpus: String
        /// Texts per pass.
        public let texts: Int
        /// Tokens per pass fed to the model (after truncation).
        public let tokens: Int
        /// Wall-clock seconds of each timed pass.
        public let seconds: [Double]
        /// CPU seconds (user + system, all threads) of each timed pass.
        public let cpuSeconds: [Double]
        /// Peak resident set size of the process (VmHWM), in bytes.
        public let peakRSS: Int
        /// Stage timings summed over the timed passes.
        public let profile: EncoderProfile
        /// Median texts per second.
        public var textsPerSecond: Double {
            Double(texts) / seconds.sorted()[seconds.count / 2]
        }
    }

    /// `short.jsonl` and `passages.jsonl` under `$SWITCHBOARD_SHARED_DATA/embed-bench`,
    /// or under the first `shared/data` found walking up from the current directory.
    public static func defaultCorpora() -> [URL] {
        let folder = sharedDataDirectory().appendingPathComponent("embed-bench", isDirectory: true)
        return ["short.jsonl", "passages.jsonl"].map { folder.appendingPathComponent($0) }
    }

    /// Embeds each corpus `passes` times (after one warm-up batch) with
    /// `embedder` and reports each as it finishes through `log`.
    public static func run(corpora: [URL], embedder: MiniLMEmbedder, passes: Int = 3,
                           log: (String) -> Void = { print($0) }) async throws -> [Result] {
        log(environmentSummary(embedder))
        var results: [Result] = []
        for url in corpora {
            let texts = try readTexts(url)
            _ = try await embedder.embed(Array(texts.prefix(embedder.batchSize)))
            try await embedder.resetProfile()
            let load = loadAverage()
            var seconds: [Double] = [], cpu: [Double] = []
            for _ in 0..<max(1, passes) {
                let (wall0, cpu0) = (EncoderProfile.now(), cpuTime())
                _ = try await embedder.embed(texts)
                seconds.append(EncoderProfile.now() - wall0)
                cpu.append(cpuTime() - cpu0)
            }
            let profile = try await embedder.profile()
            let result = Result(corpus: url.lastPathComponent, texts: texts.count, tokens: profile.tokens / max(1, passes),
                                seconds: seconds, cpuSeconds: cpu, peakRSS: peakRSS(), profile: profile)
            results.append(result)
            log(describe(result, loadBefore: load))
        }
        return results
    }

    /// One block of text for a result.
    static func describe(_ r: Result, loadBefore: String) -> String {
        let median = r.seconds.sorted()[r.seconds.count / 2]
        let gflop = Double(r.tokens) * 21.2e-3  // linear layers only, see DESIGN.md
        var lines = [
            "== \(r.corpus): \(r.texts) texts, \(r.tokens) tokens/pass (mean \(String(format: "%.1f", Double(r.tokens) / Double(max(r.texts, 1)))))",
            String(format: "texts/s            %.1f (median of %d passes; each: %@)", r.textsPerSecond, r.seconds.count,
                   r.seconds.map { String(format: "%.2fs", $0) }.joined(separator: " ")),
            String(format: "CPU s/pass         %.2f (user+sys, all threads; wall %.2f)",
                   r.cpuSeconds.reduce(0, +) / Double(r.cpuSeconds.count), median),
            String(format: "linear GFLOP/s     %.0f (%.1f GFLOP/pass in the projections and FFN)", gflop / median, gflop),
            String(format: "peak RSS           %.1f MiB (VmHWM)", Double(r.peakRSS) / 1_048_576),
            "load average       before \(loadBefore), after \(loadAverage())",
        ]
        lines.append(r.profile.report())
        return lines.joined(separator: "\n")
    }

    /// OpenBLAS core, threads and environment, for the top of a report.
    static func environmentSummary(_ embedder: MiniLMEmbedder) -> String {
        var lines = [
            "model              \(embedder.modelID) from \(embedder.modelDirectory.path)",
            "batch size         \(embedder.batchSize), max tokens \(embedder.maxLength), \(embedder.threads) encoder threads",
            "OpenBLAS core      \(OpenBLASRuntime.coreName), \(OpenBLASRuntime.threads) thread(s) per call, "
                + "OPENBLAS_CORETYPE=\(OpenBLASRuntime.configuredCoreType ?? "(unset)"), "
                + "CPU avx512f: \(OpenBLASRuntime.cpuHasAVX512F ? "yes" : "no")",
        ]
        if let warning = OpenBLASRuntime.performanceWarning { lines.append("WARNING            \(warning)") }
        return lines.joined(separator: "\n")
    }

    /// The `text` field of every line of a JSON-lines file.
    static func readTexts(_ url: URL) throws -> [String] {
        let content: String
        do {
            content = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw EmbeddingError(.fileUnreadable, "cannot read benchmark corpus \(url.path): \(error)")
        }
        return try content.split(separator: "\n").enumerated().map { number, line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let text = object["text"] as? String else {
                throw EmbeddingError(.invalidInput, "\(url.path):\(number + 1): expected a JSON object with a \"text\" string")
            }
            return text
        }
    }

    static func sharedDataDirectory() -> URL {
        if let configured = ProcessInfo.processInfo.environment["SWITCHBOARD_SHARED_DATA"], !configured.isEmpty {
            return URL(fileURLWithPath: configured, isDirectory: true)
        }
        var folder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("shared/data", isDirectory: true)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "../shared/data", isDirectory: true)
    }

    /// User + system CPU seconds of the whole process.
    static func cpuTime() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// VmHWM from /proc/self/status, in bytes (0 where unavailable).
    static func peakRSS() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kib = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return kib * 1024
        }
        return 0
    }

    /// The first three fields of /proc/loadavg.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "n/a" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
