import Foundation
import Switchboard

/// The gateway counts requests and tokens per minute in fixed windows: the counter's key
/// carries the minute (`RateLimiter.checks`). A test that expects a per-minute limit to be
/// reached calls `awayFromBoundary` first, so its calls do not fall into two windows (each
/// with the whole limit) when the clock passes a minute while they run.
enum MinuteWindow {
    /// Returns at once when at least `margin` is left of the current minute; otherwise
    /// sleeps into the next one.
    static func awayFromBoundary(margin: Duration = .seconds(30)) async throws {
        let marginMs = margin.components.seconds * 1000
        let left = 60_000 - Timestamp.nowMs() % 60_000
        if left < marginMs {
            try await Task.sleep(for: .milliseconds(left + 100))
        }
    }
}
