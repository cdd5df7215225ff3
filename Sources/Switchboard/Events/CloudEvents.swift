import Foundation
import JSONCoding
import Kafka

/// Header names of the CloudEvents 1.0 Kafka binding (binary mode) and Switchboard's extensions.
public enum CEHeader {
    public static let specVersion = "ce_specversion"
    public static let id = "ce_id"
    public static let source = "ce_source"
    public static let type = "ce_type"
    public static let time = "ce_time"
    public static let contentType = "content-type"
    public static let replyTo = "ce_replyto"
    public static let deadline = "ce_deadline"
    public static let traceParent = "ce_traceparent"
    public static let traceState = "ce_tracestate"
    public static let requestID = "ce_requestid"
    /// The credential: read by the gateway and never forwarded past it.
    public static let authorization = "authorization"
}

/// Builds the headers of an event Switchboard emits.
public struct EventHeaders: Sendable {
    public static let source = "switchboard"

    /// Headers for a new event of `type`; `id` defaults to a fresh random UUID.
    public static func make(type: String, id: String = EventID.random(), source: String = source,
                            extra: [KafkaHeader] = []) -> [KafkaHeader] {
        [
            KafkaHeader(CEHeader.specVersion, "1.0"),
            KafkaHeader(CEHeader.id, id),
            KafkaHeader(CEHeader.source, source),
            KafkaHeader(CEHeader.type, type),
            KafkaHeader(CEHeader.time, Timestamp.iso8601(Date())),
            KafkaHeader(CEHeader.contentType, "application/json"),
        ] + extra
    }

    /// Trace headers carried from `record` unchanged, so a trace spans the whole pipeline.
    public static func trace(from record: KafkaRecord) -> [KafkaHeader] {
        record.headers.filter { $0.name == CEHeader.traceParent || $0.name == CEHeader.traceState }
    }
}

/// Random event and request ids.
public enum EventID {
    /// A random (version 4) UUID in lower case. Foundation's `UUID()` on Linux opens, reads
    /// and closes `/dev/urandom` for every id; this asks the kernel once (`arc4random_buf`,
    /// `getrandom` underneath), which the ingress and the emitters do on every request.
    public static func random() -> String {
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &uuid) { bytes in
            if let base = bytes.baseAddress { arc4random_buf(base, bytes.count) }
        }
        uuid.6 = (uuid.6 & 0x0F) | 0x40
        uuid.8 = (uuid.8 & 0x3F) | 0x80
        return UUID(uuid: uuid).uuidString.lowercased()
    }
}

/// Time helpers for events.
public enum Timestamp {
    public static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// `2026-11-29T15:47:15.868Z`: UTC, milliseconds. Every event header and log line carries
    /// one, so it is written digit by digit rather than through a Foundation format style.
    public static func iso8601(_ date: Date) -> String {
        let (days, msInDay) = CivilDate.split(ms: Int64((date.timeIntervalSince1970 * 1000).rounded()))
        let (year, month, day) = CivilDate.fromDays(days)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        func field(_ value: Int64, _ width: Int, then separator: Unicode.Scalar) {
            CivilDate.appendDigits(value, width: width, to: &bytes)
            bytes.append(UInt8(ascii: separator))
        }
        field(year, 4, then: "-")
        field(month, 2, then: "-")
        field(day, 2, then: "T")
        field(msInDay / 3_600_000, 2, then: ":")
        field(msInDay / 60_000 % 60, 2, then: ":")
        field(msInDay / 1000 % 60, 2, then: ".")
        field(msInDay % 1000, 3, then: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The JSON coders every event goes through: compact, no escaped slashes, dictionaries with
/// sorted keys (``StreamingJSONEncoder``). One shared decoder: it is safe to use from many tasks
/// at once, and making one per call costs more than decoding a small event.
public enum EventCoding {
    public static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        // Encoding our own value types cannot fail: they hold only strings, numbers and arrays.
        (try? StreamingJSONEncoder.encode(value)) ?? Array("{}".utf8)
    }

    /// Decodes an event with ``JSONBytesDecoder`` (what `JSONDecoder` would decode, about four
    /// times faster; `bench codec`).
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONBytesDecoder.decode(type, from: bytes)
    }
}
