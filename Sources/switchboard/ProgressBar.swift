import Foundation
import Synchronization

/// A progress bar on standard error: redrawn in place on a terminal, a line every tenth of the
/// way otherwise (CI logs).
final class ProgressBar: Sendable {
    private struct State {
        var lastDraw = ContinuousClock.now - .seconds(1)
        var lastDecile = -1
    }

    private let label: String
    private let started = ContinuousClock.now
    private let interactive = isatty(STDERR_FILENO) == 1
    private let state = Mutex(State())

    init(label: String) {
        self.label = label
    }

    /// Shows `done` of `total` with `detail` after the counts.
    func update(done: Int, total: Int, detail: String, force: Bool = false) {
        let now = ContinuousClock.now
        let elapsed = Self.seconds(now - started)
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 && done < total ? " ETA \(Self.clock(Double(total - done) / rate))" : ""
        let line: String? = state.withLock { s in
            if interactive {
                guard force || now - s.lastDraw >= .milliseconds(100) else { return nil }
                s.lastDraw = now
                let width = 30
                let filled = Int(fraction * Double(width))
                let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
                return "\r\(label) \(bar) \(done)/\(total) \(String(format: "%.1f", rate))/s \(detail)\(eta)\u{1B}[K"
            }
            let decile = Int(fraction * 10)
            guard force || decile > s.lastDecile else { return nil }
            s.lastDecile = decile
            return "\(label) \(Int(fraction * 100))% \(done)/\(total) \(String(format: "%.1f", rate))/s \(detail)\(eta)\n"
        }
        if let line { FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// Ends the bar's line.
    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
