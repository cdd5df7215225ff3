import Foundation
import Logging

/// Writes one JSON object per line to standard error: time, level, logger, message and
/// metadata. Content and secrets are kept out by the callers (nothing logs a credential or,
/// by default, prompt text); this handler only formats.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String

    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = "\(value)"
        }
        object["ts"] = Timestamp.iso8601(Date())
        object["level"] = event.level.rawValue
        object["logger"] = label
        object["msg"] = "\(event.message)"
        var line = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        line.append(0x0A)
        FileHandle.standardError.write(line)
    }

    /// Installs JSON logging for the process; `LOG_LEVEL` overrides `level`.
    public static func bootstrap(level: Logger.Level = .info) {
        let configured = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? level
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: configured) }
    }
}
