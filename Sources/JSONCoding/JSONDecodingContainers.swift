import Foundation

/// Members are found by a linear scan of the object's keys; objects with many members (a
/// dictionary read through `Dictionary.init(from:)`) get an index first.
struct JSONKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: JSONTreeDecoder
    let object: UInt32
    /// Value nodes by key, for objects of more than `indexedSize` members.
    private let index: [String: UInt32]?

    static var indexedSize: Int { 64 }

    init(decoder: JSONTreeDecoder, object: UInt32) {
        self.decoder = decoder
        self.object = object
        if decoder.nodes[Int(object)].count > Self.indexedSize {
            index = Dictionary(decoder.distinctKeys(of: object).map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        } else {
            index = nil
        }
    }

    var codingPath: [any CodingKey] { decoder.path(of: object) }

    var allKeys: [Key] {
        decoder.distinctKeys(of: object).compactMap { Key(stringValue: $0.name) }
    }

    @inline(__always)
    private func member(_ key: some CodingKey) -> UInt32? {
        if let index { return index[key.stringValue] }
        return decoder.member(named: key.stringValue, in: object)
    }

    func contains(_ key: Key) -> Bool { member(key) != nil }

    /// The value of `key`; throws `keyNotFound` when the object has no such member.
    @inline(__always)
    private func value(for key: Key) throws -> UInt32 {
        guard let value = member(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath,
                                                       debugDescription: "No value associated with key \(key) (\"\(key.stringValue)\")."))
        }
        return value
    }

    /// The value of `key`, nil when it is missing or null.
    @inline(__always)
    private func presentValue(for key: Key) -> UInt32? {
        guard let value = member(key), decoder.nodes[Int(value)].kind != .null else { return nil }
        return value
    }

    @inline(__always)
    private func ifPresent<T>(_ key: Key, _ read: (JSONTreeDecoder, UInt32) throws -> T) throws -> T? {
        guard let value = presentValue(for: key) else { return nil }
        return try read(decoder, value)
    }

    func decodeNil(forKey key: Key) throws -> Bool { decoder.nodes[Int(try value(for: key))].kind == .null }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decoder.bool(at: try value(for: key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decoder.string(at: try value(for: key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decoder.floatingPoint(Double.self, at: try value(for: key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decoder.floatingPoint(Float.self, at: try value(for: key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decoder.integer(Int.self, at: try value(for: key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decoder.integer(Int8.self, at: try value(for: key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decoder.integer(Int16.self, at: try value(for: key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decoder.integer(Int32.self, at: try value(for: key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decoder.integer(Int64.self, at: try value(for: key)) }
    func decode(_ type: Int128.Type, forKey key: Key) throws -> Int128 { try decoder.integer(Int128.self, at: try value(for: key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decoder.integer(UInt.self, at: try value(for: key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decoder.integer(UInt8.self, at: try value(for: key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decoder.integer(UInt16.self, at: try value(for: key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decoder.integer(UInt32.self, at: try value(for: key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decoder.integer(UInt64.self, at: try value(for: key)) }
    func decode(_ type: UInt128.Type, forKey key: Key) throws -> UInt128 { try decoder.integer(UInt128.self, at: try value(for: key)) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decoder.unwrap(T.self, at: try value(for: key)) }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try ifPresent(key) { try $0.bool(at: $1) } }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try ifPresent(key) { try $0.string(at: $1) } }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try ifPresent(key) { try $0.floatingPoint(Double.self, at: $1) } }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try ifPresent(key) { try $0.floatingPoint(Float.self, at: $1) } }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try ifPresent(key) { try $0.integer(Int.self, at: $1) } }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try ifPresent(key) { try $0.integer(Int8.self, at: $1) } }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try ifPresent(key) { try $0.integer(Int16.self, at: $1) } }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try ifPresent(key) { try $0.integer(Int32.self, at: $1) } }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try ifPresent(key) { try $0.integer(Int64.self, at: $1) } }
    func decodeIfPresent(_ type: Int128.Type, forKey key: Key) throws -> Int128? { try ifPresent(key) { try $0.integer(Int128.self, at: $1) } }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try ifPresent(key) { try $0.integer(UInt.self, at: $1) } }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try ifPresent(key) { try $0.integer(UInt8.self, at: $1) } }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try ifPresent(key) { try $0.integer(UInt16.self, at: $1) } }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try ifPresent(key) { try $0.integer(UInt32.self, at: $1) } }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try ifPresent(key) { try $0.integer(UInt64.self, at: $1) } }
    func decodeIfPresent(_ type: UInt128.Type, forKey key: Key) throws -> UInt128? { try ifPresent(key) { try $0.integer(UInt128.self, at: $1) } }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try ifPresent(key) { try $0.unwrap(T.self, at: $1) } }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder.keyedContainer(at: try value(for: key), keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.unkeyedContainer(at: try value(for: key))
    }

    func superDecoder() throws -> any Decoder { decoderForMember(JSONPathKey.superKey) }

    func superDecoder(forKey key: Key) throws -> any Decoder { decoderForMember(key) }

    /// A decoder for the member `key`, or for a null value when there is none (as JSONDecoder).
    private func decoderForMember(_ key: some CodingKey) -> any Decoder {
        if let value = member(key) {
            return JSONTreeDecoder(sharing: decoder, node: value)
        }
        return JSONTreeDecoder(sharing: decoder, node: decoder.absentNode, absentValuePath: codingPath + [key])
    }
}

/// Elements are decoded in order; a failed decode does not move on, as with `JSONDecoder`.
struct JSONUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let decoder: JSONTreeDecoder
    let array: UInt32
    /// The node of the element at `currentIndex`.
    private var cursor: UInt32
    private(set) var currentIndex = 0

    init(decoder: JSONTreeDecoder, array: UInt32) {
        self.decoder = decoder
        self.array = array
        cursor = array + 1
    }

    var codingPath: [any CodingKey] { decoder.path(of: array) }
    var count: Int? { Int(decoder.nodes[Int(array)].count) }
    var isAtEnd: Bool { currentIndex >= Int(decoder.nodes[Int(array)].count) }

    /// The next element's node; throws `valueNotFound` at the end.
    private func next<T>(_ type: T.Type, _ message: String = "Unkeyed container is at end.") throws -> UInt32 {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath + [JSONPathKey(index: currentIndex)], debugDescription: message))
        }
        return cursor
    }

    private mutating func advance() {
        cursor = decoder.nodes[Int(cursor)].next
        currentIndex += 1
    }

    private mutating func decodeNext<T>(_ type: T.Type, _ read: (JSONTreeDecoder, UInt32) throws -> T) throws -> T {
        let value = try read(decoder, try next(T.self))
        advance()
        return value
    }

    /// nil at the end or for null; like JSONDecoder, moves on in both cases.
    private mutating func decodeNextIfPresent<T>(_ read: (JSONTreeDecoder, UInt32) throws -> T) throws -> T? {
        guard !isAtEnd else {
            currentIndex += 1
            return nil
        }
        let value: T? = decoder.nodes[Int(cursor)].kind == .null ? nil : try read(decoder, cursor)
        advance()
        return value
    }

    mutating func decodeNil() throws -> Bool {
        guard decoder.nodes[Int(try next(Never.self))].kind == .null else { return false }
        advance()
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try decodeNext(type) { try $0.bool(at: $1) } }
    mutating func decode(_ type: String.Type) throws -> String { try decodeNext(type) { try $0.string(at: $1) } }
    mutating func decode(_ type: Double.Type) throws -> Double { try decodeNext(type) { try $0.floatingPoint(Double.self, at: $1) } }
    mutating func decode(_ type: Float.Type) throws -> Float { try decodeNext(type) { try $0.floatingPoint(Float.self, at: $1) } }
    mutating func decode(_ type: Int.Type) throws -> Int { try decodeNext(type) { try $0.integer(Int.self, at: $1) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try decodeNext(type) { try $0.integer(Int8.self, at: $1) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try decodeNext(type) { try $0.integer(Int16.self, at: $1) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try decodeNext(type) { try $0.integer(Int32.self, at: $1) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try decodeNext(type) { try $0.integer(Int64.self, at: $1) } }
    mutating func decode(_ type: Int128.Type) throws -> Int128 { try decodeNext(type) { try $0.integer(Int128.self, at: $1) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try decodeNext(type) { try $0.integer(UInt.self, at: $1) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeNext(type) { try $0.integer(UInt8.self, at: $1) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeNext(type) { try $0.integer(UInt16.self, at: $1) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeNext(type) { try $0.integer(UInt32.self, at: $1) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeNext(type) { try $0.integer(UInt64.self, at: $1) } }
    mutating func decode(_ type: UInt128.Type) throws -> UInt128 { try decodeNext(type) { try $0.integer(UInt128.self, at: $1) } }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeNext(type) { try $0.unwrap(T.self, at: $1) } }

    mutating func decodeIfPresent(_ type: Bool.Type) throws -> Bool? { try decodeNextIfPresent { try $0.bool(at: $1) } }
    mutating func decodeIfPresent(_ type: String.Type) throws -> String? { try decodeNextIfPresent { try $0.string(at: $1) } }
    mutating func decodeIfPresent(_ type: Double.Type) throws -> Double? { try decodeNextIfPresent { try $0.floatingPoint(Double.self, at: $1) } }
    mutating func decodeIfPresent(_ type: Float.Type) throws -> Float? { try decodeNextIfPresent { try $0.floatingPoint(Float.self, at: $1) } }
    mutating func decodeIfPresent(_ type: Int.Type) throws -> Int? { try decodeNextIfPresent { try $0.integer(Int.self, at: $1) } }
    mutating func decodeIfPresent(_ type: Int8.Type) throws -> Int8? { try decodeNextIfPresent { try $0.integer(Int8.self, at: $1) } }
    mutating func decodeIfPresent(_ type: Int16.Type) throws -> Int16? { try decodeNextIfPresent { try $0.integer(Int16.self, at: $1) } }
    mutating func decodeIfPresent(_ type: Int32.Type) throws -> Int32? { try decodeNextIfPresent { try $0.integer(Int32.self, at: $1) } }
    mutating func decodeIfPresent(_ type: Int64.Type) throws -> Int64? { try decodeNextIfPresent { try $0.integer(Int64.self, at: $1) } }
    mutating func decodeIfPresent(_ type: Int128.Type) throws -> Int128? { try decodeNextIfPresent { try $0.integer(Int128.self, at: $1) } }
    mutating func decodeIfPresent(_ type: UInt.Type) throws -> UInt? { try decodeNextIfPresent { try $0.integer(UInt.self, at: $1) } }
    mutating func decodeIfPresent(_ type: UInt8.Type) throws -> UInt8? { try decodeNextIfPresent { try $0.integer(UInt8.self, at: $1) } }
    mutating func decodeIfPresent(_ type: UInt16.Type) throws -> UInt16? { try decodeNextIfPresent { try $0.integer(UInt16.self, at: $1) } }
    mutating func decodeIfPresent(_ type: UInt32.Type) throws -> UInt32? { try decodeNextIfPresent { try $0.integer(UInt32.self, at: $1) } }
    mutating func decodeIfPresent(_ type: UInt64.Type) throws -> UInt64? { try decodeNextIfPresent { try $0.integer(UInt64.self, at: $1) } }
    mutating func decodeIfPresent(_ type: UInt128.Type) throws -> UInt128? { try decodeNextIfPresent { try $0.integer(UInt128.self, at: $1) } }
    mutating func decodeIfPresent<T: Decodable>(_ type: T.Type) throws -> T? { try decodeNextIfPresent { try $0.unwrap(T.self, at: $1) } }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try decodeNext(KeyedDecodingContainer<NestedKey>.self) { try $0.keyedContainer(at: $1, keyedBy: type) }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try decodeNext((any UnkeyedDecodingContainer).self) { try $0.unkeyedContainer(at: $1) }
    }

    mutating func superDecoder() throws -> any Decoder {
        let value = try next((any Decoder).self, "Cannot get superDecoder() -- unkeyed container is at end.")
        advance()
        return JSONTreeDecoder(sharing: decoder, node: value)
    }
}
