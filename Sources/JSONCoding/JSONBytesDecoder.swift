import Foundation

/// Decodes `Decodable` values from UTF-8 JSON bytes: the counterpart of ``StreamingJSONEncoder``
/// and a replacement for Foundation's `JSONDecoder()` with its default strategies.
///
/// The document is first scanned in one pass into a flat array of nodes (``JSONScanner``), which
/// rejects any malformed document; values are then read from that array as the type asks for
/// them. Object keys are matched by comparing bytes with a linear scan (the events' objects are
/// small), strings without escapes become `String`s straight from their bytes, and numbers are
/// converted from their text only when decoded, so integers keep all their digits.
///
/// The results and the errors' kinds are those of `JSONDecoder`: `decodeIfPresent` gives nil
/// for a missing key and for null, `decode` throws `keyNotFound` and `valueNotFound`; numbers out
/// of a type's range, or with a fraction for an integer type, throw `dataCorrupted` (`1.0` and
/// `1e2` are whole numbers); the first of repeated keys wins; `Date`, `Data`, `URL` and `Decimal`
/// decode as with the default strategies (the last three are handed to `JSONDecoder`); a trailing
/// comma in an array or object and a UTF-8 byte order mark are accepted.
///
/// The differences: a malformed value is rejected even where the type does not read it (where
/// `JSONDecoder` skips it unchecked); a document in UTF-16 or UTF-32 is not accepted; coding
/// paths name keys and indices with this decoder's own `CodingKey` type (same `stringValue` and
/// `intValue` as Foundation's); an error about a number's value is a `DecodingError` with the
/// value's coding path (`JSONDecoder` throws its internal error inside `init(from:)`, which
/// becomes `dataCorrupted` with an empty path at the top); and a zero with an exponent (`0e1`)
/// is read as zero (`JSONDecoder` rejects some of these).
public enum JSONBytesDecoder {
    /// Decodes a `T` from the JSON document in `bytes`.
    ///
    /// - Throws: `DecodingError.dataCorrupted` if `bytes` is not one JSON document, or a
    ///   `DecodingError` (or the type's own error) if the document does not fit `T`.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let decoder = try JSONTreeDecoder(bytes)
        return try decoder.unwrap(T.self, at: 0)
    }

    /// Decodes a `T` from the JSON document in `bytes` (copied: nothing refers to them afterwards).
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeRawBufferPointer) throws -> T {
        try decode(type, from: Array(bytes))
    }
}

/// The `Decoder`: the scanned document and the value being decoded. One instance walks the
/// whole document, moving `node` down to each nested value and back (as `JSONDecoder` does);
/// containers keep the index of their own node. It is also the single-value container.
final class JSONTreeDecoder {
    let source: [UInt8]
    let nodes: [JSONNode]
    /// The value `Decodable.init(from:)` is reading.
    var node: UInt32
    /// The coding path of a decoder for an absent value (`superDecoder(forKey:)` of a missing
    /// key): it stands on the spare null node, which has no place in the document.
    let absentValuePath: [any CodingKey]?

    init(_ bytes: [UInt8]) throws {
        source = bytes
        nodes = try bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(bytes: buffer)
            return try scanner.scan()
        }
        node = 0
        absentValuePath = nil
    }

    /// Another decoder on the same document, for `superDecoder`.
    init(sharing decoder: JSONTreeDecoder, node: UInt32, absentValuePath: [any CodingKey]? = nil) {
        source = decoder.source
        nodes = decoder.nodes
        self.node = node
        self.absentValuePath = absentValuePath
    }

    /// The spare null node: the value of absent keys.
    var absentNode: UInt32 { UInt32(nodes.count - 1) }

    // MARK: Reading values

    /// Decodes the value at `node` as `T`: primitives directly, `[String: Double]` and
    /// `[String: String]` member by member, anything else through `T.init(from:)` with this
    /// decoder moved to `node`.
    func unwrap<T: Decodable>(_ type: T.Type, at node: UInt32) throws -> T {
        if T.self == String.self { return reinterpret(try string(at: node), as: T.self) }
        if T.self == Double.self { return reinterpret(try floatingPoint(Double.self, at: node), as: T.self) }
        if T.self == Int.self { return reinterpret(try integer(Int.self, at: node), as: T.self) }
        if T.self == Int64.self { return reinterpret(try integer(Int64.self, at: node), as: T.self) }
        if T.self == Bool.self { return reinterpret(try bool(at: node), as: T.self) }
        if T.self == Float.self { return reinterpret(try floatingPoint(Float.self, at: node), as: T.self) }
        if T.self == Int32.self { return reinterpret(try integer(Int32.self, at: node), as: T.self) }
        if T.self == UInt64.self { return reinterpret(try integer(UInt64.self, at: node), as: T.self) }
        if T.self == UInt.self { return reinterpret(try integer(UInt.self, at: node), as: T.self) }
        if T.self == Int8.self { return reinterpret(try integer(Int8.self, at: node), as: T.self) }
        if T.self == Int16.self { return reinterpret(try integer(Int16.self, at: node), as: T.self) }
        if T.self == UInt8.self { return reinterpret(try integer(UInt8.self, at: node), as: T.self) }
        if T.self == UInt16.self { return reinterpret(try integer(UInt16.self, at: node), as: T.self) }
        if T.self == UInt32.self { return reinterpret(try integer(UInt32.self, at: node), as: T.self) }
        if T.self == Date.self {
            // deferredToDate: Date reads a Double; a null names Date, as in JSONDecoder.
            if nodes[Int(node)].kind == .null { throw valueNotFound(Date.self, at: node) }
        } else if T.self == Data.self || T.self == URL.self || T.self == Decimal.self {
            return try foundationValue(T.self, at: node)
        } else if T.self == [String: Double].self {
            return reinterpret(try stringKeyedDictionary(Double.self, at: node), as: T.self)
        } else if T.self == [String: String].self {
            return reinterpret(try stringKeyedDictionary(String.self, at: node), as: T.self)
        }
        let saved = self.node
        self.node = node
        defer { self.node = saved }
        return try T(from: self)
    }

    /// The events' dictionaries (timings, metadata), read member by member in specialised code.
    /// Other dictionaries go through `Dictionary.init(from:)` and a keyed container, as with
    /// JSONDecoder; a check for dictionaries in general (a protocol conformance) would cost
    /// every struct value a conformance lookup. The first of repeated keys wins, and the values
    /// of later ones are not decoded, as with JSONDecoder.
    private func stringKeyedDictionary<Value: Decodable>(_ type: Value.Type, at object: UInt32) throws -> [String: Value] {
        let node = nodes[Int(object)]
        switch node.kind {
        case .object: break
        case .null: throw DecodingError.valueNotFound([String: Any].self, .init(codingPath: path(of: object),
                                                                                 debugDescription: "Cannot get keyed decoding container -- found null value instead"))
        default: throw typeMismatch([String: Any].self, at: object)
        }
        var result: [String: Value] = [:]
        result.reserveCapacity(Int(node.count))
        var key = object + 1
        while key < node.next {
            let name = stringValue(at: key)
            // One hash per member: a repeated key (rare) is noticed after its value was read,
            // so it puts the first value back, and its value's errors do not count.
            do {
                if let first = result.updateValue(try unwrap(Value.self, at: key + 1), forKey: name) {
                    result[name] = first
                }
            } catch where result.index(forKey: name) != nil {}
            key = nodes[Int(key + 1)].next
        }
        return result
    }

    /// `value` as `T`, which the caller checked is `Value`'s type. (A cast with `as?` would cost
    /// a lookup of `Optional<T>`'s metadata in this unspecialized code, on every value.)
    @inline(__always)
    private func reinterpret<Value, T>(_ value: Value, as type: T.Type) -> T {
        unsafeBitCast(value, to: T.self)
    }

    /// `Data`, `URL` and `Decimal` are decoded by `JSONDecoder` from the value's own text, so
    /// they come out exactly as with its default strategies; errors get this value's path.
    private func foundationValue<T: Decodable>(_ type: T.Type, at node: UInt32) throws -> T {
        let value = nodes[Int(node)]
        guard value.kind != .null else { throw valueNotFound(T.self, at: node) }
        let start = Int(value.kind == .string ? value.start - 1 : value.start)
        let end = Int(value.kind == .string ? value.end + 1 : value.end)
        do {
            return try Self.foundationDecoder.decode(T.self, from: Data(source[start..<end]))
        } catch let error as DecodingError {
            throw error.prefixingPath(path(of: node))
        }
    }

    private static let foundationDecoder = JSONDecoder()

    /// The bytes of a string (between its quotes) or number.
    func withBytes<R>(of node: UInt32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let value = nodes[Int(node)]
        return try source.withUnsafeBufferPointer { buffer in
            try body(UnsafeBufferPointer(rebasing: buffer[Int(value.start)..<Int(value.end)]))
        }
    }

    /// The text of the string at `node` (the scanner checked its escapes and UTF-8).
    func stringValue(at node: UInt32) -> String {
        if nodes[Int(node)].flags & JSONNode.escaped == 0 {
            return withBytes(of: node) { String(decoding: $0, as: UTF8.self) }
        }
        return withBytes(of: node) { JSONText.unescape($0) }
    }

    func string(at node: UInt32) throws -> String {
        switch nodes[Int(node)].kind {
        case .string: return stringValue(at: node)
        case .null: throw valueNotFound(String.self, at: node)
        default: throw typeMismatch(String.self, at: node)
        }
    }

    func bool(at node: UInt32) throws -> Bool {
        switch nodes[Int(node)].kind {
        case .true: return true
        case .false: return false
        // A null is a type mismatch here (not valueNotFound), as in JSONDecoder.
        default: throw typeMismatch(Bool.self, at: node)
        }
    }

    func integer<T: FixedWidthInteger>(_ type: T.Type, at node: UInt32) throws -> T {
        let value = nodes[Int(node)]
        switch value.kind {
        case .number:
            let plain = value.flags & JSONNode.plainInteger != 0
            if let integer = withBytes(of: node, { JSONNumberText.integer($0, plain: plain, as: T.self) }) { return integer }
            throw DecodingError.dataCorrupted(.init(codingPath: path(of: node),
                                                    debugDescription: "Parsed JSON number <\(numberText(at: node))> does not fit in \(T.self)."))
        case .null: throw valueNotFound(T.self, at: node)
        default: throw typeMismatch(T.self, at: node)
        }
    }

    func floatingPoint<T: BinaryFloatingPoint>(_ type: T.Type, at node: UInt32) throws -> T {
        switch nodes[Int(node)].kind {
        case .number:
            if let number = withBytes(of: node, { JSONNumberText.floatingPoint($0, as: T.self) }) { return number }
            throw DecodingError.dataCorrupted(.init(codingPath: path(of: node),
                                                    debugDescription: "Number \(numberText(at: node)) is not representable in Swift."))
        case .null: throw valueNotFound(T.self, at: node)
        default: throw typeMismatch(T.self, at: node)
        }
    }

    private func numberText(at node: UInt32) -> String {
        withBytes(of: node) { String(decoding: $0, as: UTF8.self) }
    }

    // MARK: Objects

    /// The value of the first member of `object` named `name`, by a linear scan. Keys are equal
    /// as Swift strings are (canonical equivalence), like the dictionary `JSONDecoder` builds.
    /// Keys without escapes or non-ASCII bytes are compared by their bytes: equal bytes mean an
    /// ASCII name, for which byte equality is string equality, so every key before was compared
    /// exactly. Other keys, and every key when the name is not ASCII, compare as strings.
    func member(named name: String, in object: UInt32) -> UInt32? {
        let end = nodes[Int(object)].next
        let notFound: UInt32 = 0, undecided = UInt32.max
        var utf8Name = name
        let found = utf8Name.withUTF8 { utf8 -> UInt32 in
            source.withUnsafeBufferPointer { buffer -> UInt32 in
                var key = object + 1
                while key < end {
                    let keyNode = nodes[Int(key)]
                    if keyNode.isPlainASCIIString {
                        if Int(keyNode.end - keyNode.start) == utf8.count,
                           Self.bytesEqual(buffer, from: Int(keyNode.start), utf8) {
                            return key + 1
                        }
                    } else if stringValue(at: key) == name {
                        // Exact only if no earlier ASCII key could equal a non-ASCII name.
                        return Self.isASCII(utf8) ? key + 1 : undecided
                    }
                    key = nodes[Int(key + 1)].next
                }
                return Self.isASCII(utf8) ? notFound : undecided
            }
        }
        if found != undecided { return found == notFound ? nil : found }
        // A non-ASCII name: compare as strings, in order.
        var key = object + 1
        while key < end {
            if stringValue(at: key) == name { return key + 1 }
            key = nodes[Int(key + 1)].next
        }
        return nil
    }

    @inline(__always)
    private static func bytesEqual(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int, _ other: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in 0..<other.count where buffer[start + index] != other[index] { return false }
        return true
    }

    @inline(__always)
    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var union: UInt8 = 0
        for byte in bytes { union |= byte }
        return union < 0x80
    }

    /// The key nodes of `object` in document order, without repeated keys.
    func distinctKeys(of object: UInt32) -> [(name: String, value: UInt32)] {
        var keys: [(name: String, value: UInt32)] = []
        keys.reserveCapacity(Int(nodes[Int(object)].count))
        var seen = Set<String>()
        var key = object + 1
        let end = nodes[Int(object)].next
        while key < end {
            let name = stringValue(at: key)
            if seen.insert(name).inserted { keys.append((name, key + 1)) }
            key = nodes[Int(key + 1)].next
        }
        return keys
    }

    func keyedContainer<Key: CodingKey>(at node: UInt32, keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        switch nodes[Int(node)].kind {
        case .object:
            return KeyedDecodingContainer(JSONKeyedDecodingContainer<Key>(decoder: self, object: node))
        case .null:
            throw DecodingError.valueNotFound([String: Any].self, .init(codingPath: path(of: node),
                                                                        debugDescription: "Cannot get keyed decoding container -- found null value instead"))
        default:
            throw typeMismatch([String: Any].self, at: node)
        }
    }

    func unkeyedContainer(at node: UInt32) throws -> any UnkeyedDecodingContainer {
        switch nodes[Int(node)].kind {
        case .array:
            return JSONUnkeyedDecodingContainer(decoder: self, array: node)
        case .null:
            throw DecodingError.valueNotFound([Any].self, .init(codingPath: path(of: node),
                                                                debugDescription: "Cannot get unkeyed decoding container -- found null value instead"))
        default:
            throw typeMismatch([Any].self, at: node)
        }
    }

    // MARK: Coding paths and errors

    /// The coding path of `node`, rebuilt from the document (paths are only needed for errors
    /// and by types that ask, so none is kept while decoding).
    func path(of node: UInt32) -> [any CodingKey] {
        if node == absentNode { return absentValuePath ?? [] }
        var keys: [any CodingKey] = []
        var current = node
        while true {
            let parent = nodes[Int(current)].parent
            guard parent != JSONNode.noParent else { break }
            if nodes[Int(parent)].kind == .object {
                keys.append(JSONPathKey(stringValue: stringValue(at: current - 1)))
            } else {
                var index = 0
                var sibling = parent + 1
                while sibling < current {
                    sibling = nodes[Int(sibling)].next
                    index += 1
                }
                keys.append(JSONPathKey(index: index))
            }
            current = parent
        }
        return keys.reversed()
    }

    func typeMismatch(_ type: Any.Type, at node: UInt32) -> DecodingError {
        DecodingError.typeMismatch(type, .init(codingPath: path(of: node),
                                               debugDescription: "Expected to decode \(type) but found \(nodes[Int(node)].kindDescription) instead."))
    }

    func valueNotFound(_ type: Any.Type, at node: UInt32) -> DecodingError {
        DecodingError.valueNotFound(type, .init(codingPath: path(of: node),
                                                debugDescription: "Cannot get value of type \(type) -- found null value instead"))
    }
}

extension JSONTreeDecoder: Decoder {
    var codingPath: [any CodingKey] { path(of: node) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try keyedContainer(at: node, keyedBy: type)
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try unkeyedContainer(at: node)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }
}

extension JSONTreeDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { nodes[Int(node)].kind == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try bool(at: node) }
    func decode(_ type: String.Type) throws -> String { try string(at: node) }
    func decode(_ type: Double.Type) throws -> Double { try floatingPoint(Double.self, at: node) }
    func decode(_ type: Float.Type) throws -> Float { try floatingPoint(Float.self, at: node) }
    func decode(_ type: Int.Type) throws -> Int { try integer(Int.self, at: node) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(Int8.self, at: node) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(Int16.self, at: node) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(Int32.self, at: node) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(Int64.self, at: node) }
    func decode(_ type: Int128.Type) throws -> Int128 { try integer(Int128.self, at: node) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(UInt.self, at: node) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(UInt8.self, at: node) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(UInt16.self, at: node) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(UInt32.self, at: node) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(UInt64.self, at: node) }
    func decode(_ type: UInt128.Type) throws -> UInt128 { try integer(UInt128.self, at: node) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try unwrap(T.self, at: node) }
}

/// Keys of coding paths: object keys by name, array elements as `JSONDecoder` names them
/// ("Index 3", with the index as `intValue`).
struct JSONPathKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
    }

    init(intValue: Int) {
        self.init(index: intValue)
    }

    init(index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }

    static let superKey = JSONPathKey(stringValue: "super")
}

extension DecodingError {
    /// The same error with `prefix` in front of its coding path.
    fileprivate func prefixingPath(_ prefix: [any CodingKey]) -> DecodingError {
        guard !prefix.isEmpty else { return self }
        func moved(_ context: Context) -> Context {
            Context(codingPath: prefix + context.codingPath, debugDescription: context.debugDescription, underlyingError: context.underlyingError)
        }
        switch self {
        case .typeMismatch(let type, let context): return .typeMismatch(type, moved(context))
        case .valueNotFound(let type, let context): return .valueNotFound(type, moved(context))
        case .keyNotFound(let key, let context): return .keyNotFound(key, moved(context))
        case .dataCorrupted(let context): return .dataCorrupted(moved(context))
        @unknown default: return self
        }
    }
}
