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
        FileHandle.standardError.write(Data(Self.line(object)))
    }

    /// One JSON object on one line, keys in byte order. Written directly rather than through
    /// `JSONSerialization`, whose locale-aware key sorting made logging the largest CPU cost per
    /// request; strings are escaped as RFC 8259 requires (quote, backslash, control characters).
    public static func line(_ object: [String: String]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(256)
        for (index, key) in object.keys.sorted().enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(key, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONText.appendQuoted(object[key] ?? "", to: &out)
        }
        out.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
        return out
    }

    /// Installs JSON logging for the process; `LOG_LEVEL` overrides `level`.
    public static func bootstrap(level: Logger.Level = .info) {
        let configured = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? level
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: configured) }
    }
}
