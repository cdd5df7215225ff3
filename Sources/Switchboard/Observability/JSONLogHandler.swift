import Foundation
import JSONCoding
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
        Self.writeToStandardError(line(for: event, at: Date()))
    }

    /// The line `event` is written as.
    public func line(for event: LogEvent, at time: Date) -> [UInt8] {
        var fields: [(key: String, value: String)] = []
        fields.reserveCapacity(metadata.count + (event.metadata?.count ?? 0) + 4)
        // Keys are unique: the event's metadata wins over the handler's, and the four fields
        // every line has win over both.
        for (key, value) in event.metadata ?? [:] { fields.append((key, "\(value)")) }
        for (key, value) in metadata where event.metadata?[key] == nil { fields.append((key, "\(value)")) }
        fields.removeAll { $0.key == "ts" || $0.key == "level" || $0.key == "logger" || $0.key == "msg" }
        fields.append(("ts", Timestamp.iso8601(time)))
        fields.append(("level", event.level.rawValue))
        fields.append(("logger", label))
        fields.append(("msg", "\(event.message)"))
        return Self.line(fields)
    }

    /// One JSON object on one line, keys in byte order. Written directly rather than through
    /// `JSONSerialization`, whose locale-aware key sorting made logging the largest CPU cost per
    /// request; strings are escaped as RFC 8259 requires (quote, backslash, control characters).
    public static func line(_ object: [String: String]) -> [UInt8] {
        line(object.map { ($0.key, $0.value) })
    }

    /// The same for fields with distinct keys, in any order.
    static func line(_ fields: [(key: String, value: String)]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(256)
        for (index, field) in fields.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendQuoted(field.key, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONText.appendQuoted(field.value, to: &out)
        }
        out.append(contentsOf: [UInt8(ascii: "}"), 0x0A])
        return out
    }

    /// Writes the whole line with `write(2)`: one call for a line that fits a pipe's atomic
    /// size, so lines of concurrent writers do not interleave; retried on EINTR and partial
    /// writes. A failed write is dropped: logging never stops the process.
    static func writeToStandardError(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count, let base = buffer.baseAddress {
                let written = write(2, base + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// Installs JSON logging for the process; `LOG_LEVEL` overrides `level`.
    public static func bootstrap(level: Logger.Level = .info) {
        let configured = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? level
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: configured) }
    }
}
