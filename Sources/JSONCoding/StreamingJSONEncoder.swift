import Foundation

/// Writes `Encodable` values as compact JSON straight into one byte buffer.
///
/// Foundation's `JSONEncoder` first builds a tree of every value (a dictionary per object),
/// sorts each object's keys, and then serialises the tree; for the small events that cross
/// Kafka on every request that is most of the cost of emitting them. This encoder writes each
/// field as it is encoded. The output is the same JSON document `JSONEncoder` writes with
/// `.withoutEscapingSlashes` (a test compares them): struct fields come in their coding-key
/// order, and dictionaries with string keys are written with sorted keys, so equal values give
/// equal bytes (cache keys hash encoded values). `Date`, `Data`, `URL` and `Decimal` values are
/// handed to `JSONEncoder`, so their representations are Foundation's too.
///
/// Containers must be used in order, as synthesised `Encodable` conformances do: once a value
/// is written to a container, the containers nested in it before are closed.
public enum StreamingJSONEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = JSONByteWriter()
        try writer.writeValue(value, parent: nil, key: nil)
        writer.close(downTo: 0)
        guard !writer.usedClosedContainer else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "a container was written to after it was closed (containers must be used in order)"))
        }
        return writer.bytes
    }
}

/// The buffer and the stack of open containers.
///
/// One writer belongs to one `encode` call on one thread, and none of its methods reenters
/// another while it holds one of these arrays, so the runtime's exclusivity checks on them
/// (a thread-local access set touched on every write) are turned off.
final class JSONByteWriter {
    @exclusivity(unchecked) var bytes: [UInt8] = []
    /// For each open container, innermost last: its closing byte and whether it has an element.
    @exclusivity(unchecked) private var closers: [UInt8] = []
    @exclusivity(unchecked) private var hasElements: [Bool] = []
    /// Set when an `encode(to:)` wrote to a container after moving on from it: the bytes are
    /// then not a document, and `encode` throws instead of returning them.
    private(set) var usedClosedContainer = false

    init() {
        bytes.reserveCapacity(512)
    }

    var depth: Int { closers.count }

    /// Opens an object or array; returns its depth.
    func open(_ opening: UInt8, _ closing: UInt8) -> Int {
        bytes.append(opening)
        closers.append(closing)
        hasElements.append(false)
        return closers.count
    }

    /// Closes every container deeper than `depth`.
    func close(downTo depth: Int) {
        while closers.count > depth {
            bytes.append(closers.removeLast())
            hasElements.removeLast()
        }
    }

    /// Gets the container at `depth` ready for its next element: closes deeper containers and
    /// writes the separator.
    func beginElement(at depth: Int) {
        guard depth >= 1, depth <= closers.count else {
            usedClosedContainer = true
            return
        }
        close(downTo: depth)
        if hasElements[depth - 1] {
            bytes.append(UInt8(ascii: ","))
        } else {
            hasElements[depth - 1] = true
        }
    }

    func beginField(at depth: Int, key: String) {
        beginElement(at: depth)
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    func writeNull() { bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }

    func writeBool(_ value: Bool) {
        if value {
            bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        } else {
            bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        }
    }

    func writeInteger<I: BinaryInteger & LosslessStringConvertible>(_ value: I) {
        bytes.append(contentsOf: value.description.utf8)
    }

    /// The coding path is built only for the error: a path per number would cost more than the number.
    func writeFloat<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F, codingPath: @autoclosure () -> [any CodingKey]) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath(), debugDescription: "\(value) is not a valid JSON number"))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    func writeString(_ value: String) {
        JSONText.appendQuoted(value, to: &bytes)
    }

    /// Writes any value at the current position (after its key or separator). `parent` and
    /// `key` name where it sits, for coding paths, which are built only when asked for.
    func writeValue<T: Encodable>(_ value: T, parent: StreamingEncoder?, key: (any CodingKey)?) throws {
        // The events' primitives and dictionaries are written directly: through `encode(to:)`
        // each would cost an encoder object, and the dictionary check below costs a protocol
        // conformance lookup per value. The casts only restate what the type check proved.
        if T.self == String.self { return writeString(unsafeBitCast(value, to: String.self)) }
        if T.self == Double.self {
            return try writeFloat(unsafeBitCast(value, to: Double.self), codingPath: Self.path(parent, key))
        }
        if T.self == Int.self { return writeInteger(unsafeBitCast(value, to: Int.self)) }
        if T.self == Bool.self { return writeBool(unsafeBitCast(value, to: Bool.self)) }
        if T.self == [String: Double].self {
            return try writeObject(unsafeBitCast(value, to: [String: Double].self), parent: parent, key: key) { writer, element, path in
                try writer.writeFloat(element, codingPath: path())
            }
        }
        if T.self == [String: String].self {
            return try writeObject(unsafeBitCast(value, to: [String: String].self), parent: parent, key: key) { writer, element, _ in
                writer.writeString(element)
            }
        }
        if T.self == Date.self || T.self == Data.self || T.self == URL.self || T.self == Decimal.self {
            bytes.append(contentsOf: try Self.foundationEncoder.encode(value))
            return
        }
        if let dictionary = value as? any StringKeyedEncodable {
            let node = StreamingEncoder(writer: self, parent: parent, key: key)
            let depth = open(UInt8(ascii: "{"), UInt8(ascii: "}"))
            for (name, element) in dictionary.sortedEntries() {
                beginField(at: depth, key: name)
                try writeValue(element, parent: node, key: JSONKey(name))
            }
            close(downTo: depth - 1)
            return
        }
        let encoder = StreamingEncoder(writer: self, parent: parent, key: key)
        let start = bytes.count
        try value.encode(to: encoder)
        close(downTo: encoder.baseDepth)
        if bytes.count == start {
            // A value that encoded nothing is an empty object, as with JSONEncoder.
            bytes.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
        }
    }

    /// A dictionary as an object with its keys in order.
    private func writeObject<Value>(_ dictionary: [String: Value], parent: StreamingEncoder?, key: (any CodingKey)?,
                                    _ write: (JSONByteWriter, Value, () -> [any CodingKey]) throws -> Void) throws {
        let depth = open(UInt8(ascii: "{"), UInt8(ascii: "}"))
        for (name, element) in dictionary.sorted(by: { $0.key < $1.key }) {
            beginField(at: depth, key: name)
            try write(self, element, { Self.path(parent, key) + [JSONKey(name)] })
        }
        close(downTo: depth - 1)
    }

    /// The coding path of a value written under `parent` at `key` (built only for errors).
    private static func path(_ parent: StreamingEncoder?, _ key: (any CodingKey)?) -> [any CodingKey] {
        (parent?.codingPath ?? []) + (key.map { [$0] } ?? [])
    }

    private static let foundationEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
}

/// JSON string literals.
package enum JSONText {
    /// Appends `value` as a JSON string: quote, backslash and control characters escaped
    /// (RFC 8259), everything else as its UTF-8 bytes; runs without escapes are copied whole.
    package static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if start < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index])) }
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                }
            }
            if start < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// Dictionaries with string keys, written with sorted keys.
protocol StringKeyedEncodable {
    func sortedEntries() -> [(String, any Encodable)]
}

extension Dictionary: StringKeyedEncodable where Key == String, Value: Encodable {
    func sortedEntries() -> [(String, any Encodable)] {
        sorted { $0.key < $1.key }.map { ($0.key, $0.value as any Encodable) }
    }
}

struct JSONKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string }
    init(index: Int) { stringValue = String(index); intValue = index }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.init(index: intValue) }
}

/// The encoder one value is written through. Its first container opens at the writer's
/// current position; asking again for a keyed container continues the same object. It is also
/// the value's place in the coding path: its parent and key, walked only when a path is read.
final class StreamingEncoder: Encoder {
    let writer: JSONByteWriter
    let parent: StreamingEncoder?
    let key: (any CodingKey)?
    /// The writer's depth before this value: what is closed when the value is done.
    let baseDepth: Int
    private var openedDepth: Int?

    init(writer: JSONByteWriter, parent: StreamingEncoder?, key: (any CodingKey)?) {
        self.writer = writer
        self.parent = parent
        self.key = key
        self.baseDepth = writer.depth
    }

    var codingPath: [any CodingKey] {
        var keys: [any CodingKey] = []
        var node: StreamingEncoder? = self
        while let current = node {
            if let key = current.key { keys.append(key) }
            node = current.parent
        }
        return keys.reversed()
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let depth = openedDepth ?? writer.open(UInt8(ascii: "{"), UInt8(ascii: "}"))
        openedDepth = depth
        return KeyedEncodingContainer(StreamingKeyedContainer<Key>(writer: writer, depth: depth, owner: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let depth = openedDepth ?? writer.open(UInt8(ascii: "["), UInt8(ascii: "]"))
        openedDepth = depth
        return StreamingUnkeyedContainer(writer: writer, depth: depth, owner: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        StreamingSingleValueContainer(writer: writer, owner: self)
    }
}

struct StreamingKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONByteWriter
    let depth: Int
    /// The encoder of the value this container belongs to (its coding path).
    let owner: StreamingEncoder

    var codingPath: [any CodingKey] { owner.codingPath }

    private func field(_ key: Key) { writer.beginField(at: depth, key: key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws { field(key); writer.writeNull() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { field(key); writer.writeBool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { field(key); writer.writeString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { field(key); try writer.writeFloat(value, codingPath: codingPath + [key]) }
    mutating func encode(_ value: Float, forKey key: Key) throws { field(key); try writer.writeFloat(value, codingPath: codingPath + [key]) }
    mutating func encode(_ value: Int, forKey key: Key) throws { field(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { field(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { field(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { field(key); writer.writeInteger(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { field(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { field(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { field(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { field(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { field(key); writer.writeInteger(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { field(key); writer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        field(key)
        try writer.writeValue(value, parent: owner, key: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        field(key)
        let node = StreamingEncoder(writer: writer, parent: owner, key: key)
        let nested = writer.open(UInt8(ascii: "{"), UInt8(ascii: "}"))
        return KeyedEncodingContainer(StreamingKeyedContainer<NestedKey>(writer: writer, depth: nested, owner: node))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        field(key)
        let node = StreamingEncoder(writer: writer, parent: owner, key: key)
        let nested = writer.open(UInt8(ascii: "["), UInt8(ascii: "]"))
        return StreamingUnkeyedContainer(writer: writer, depth: nested, owner: node)
    }

    mutating func superEncoder() -> any Encoder {
        writer.beginField(at: depth, key: "super")
        return StreamingEncoder(writer: writer, parent: owner, key: JSONKey("super"))
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        field(key)
        return StreamingEncoder(writer: writer, parent: owner, key: key)
    }
}

struct StreamingUnkeyedContainer: UnkeyedEncodingContainer {
    let writer: JSONByteWriter
    let depth: Int
    let owner: StreamingEncoder
    private(set) var count = 0

    init(writer: JSONByteWriter, depth: Int, owner: StreamingEncoder) {
        self.writer = writer
        self.depth = depth
        self.owner = owner
    }

    var codingPath: [any CodingKey] { owner.codingPath }

    private mutating func element() {
        writer.beginElement(at: depth)
        count += 1
    }

    private var elementKey: JSONKey { JSONKey(index: count - 1) }

    mutating func encodeNil() throws { element(); writer.writeNull() }
    mutating func encode(_ value: Bool) throws { element(); writer.writeBool(value) }
    mutating func encode(_ value: String) throws { element(); writer.writeString(value) }
    mutating func encode(_ value: Double) throws { element(); try writer.writeFloat(value, codingPath: codingPath + [elementKey]) }
    mutating func encode(_ value: Float) throws { element(); try writer.writeFloat(value, codingPath: codingPath + [elementKey]) }
    mutating func encode(_ value: Int) throws { element(); writer.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { element(); writer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { element(); writer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { element(); writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { element(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { element(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { element(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { element(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { element(); writer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { element(); writer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        element()
        try writer.writeValue(value, parent: owner, key: elementKey)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        element()
        let node = StreamingEncoder(writer: writer, parent: owner, key: elementKey)
        let nested = writer.open(UInt8(ascii: "{"), UInt8(ascii: "}"))
        return KeyedEncodingContainer(StreamingKeyedContainer<NestedKey>(writer: writer, depth: nested, owner: node))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        element()
        let node = StreamingEncoder(writer: writer, parent: owner, key: elementKey)
        let nested = writer.open(UInt8(ascii: "["), UInt8(ascii: "]"))
        return StreamingUnkeyedContainer(writer: writer, depth: nested, owner: node)
    }

    mutating func superEncoder() -> any Encoder {
        element()
        return StreamingEncoder(writer: writer, parent: owner, key: elementKey)
    }
}

struct StreamingSingleValueContainer: SingleValueEncodingContainer {
    let writer: JSONByteWriter
    let owner: StreamingEncoder

    var codingPath: [any CodingKey] { owner.codingPath }

    mutating func encodeNil() throws { writer.writeNull() }
    mutating func encode(_ value: Bool) throws { writer.writeBool(value) }
    mutating func encode(_ value: String) throws { writer.writeString(value) }
    mutating func encode(_ value: Double) throws { try writer.writeFloat(value, codingPath: codingPath) }
    mutating func encode(_ value: Float) throws { try writer.writeFloat(value, codingPath: codingPath) }
    mutating func encode(_ value: Int) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int8) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int16) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int32) throws { writer.writeInteger(value) }
    mutating func encode(_ value: Int64) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt8) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt16) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt32) throws { writer.writeInteger(value) }
    mutating func encode(_ value: UInt64) throws { writer.writeInteger(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        // The same place in the path: a single value is the value itself.
        try writer.writeValue(value, parent: owner.parent, key: owner.key)
    }
}
