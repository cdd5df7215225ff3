import Foundation

/// A JSON document as a value: what schemas are written in and what the validator walks.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses `bytes` (UTF-8 JSON); throws on anything that is not one JSON document.
    ///
    /// The document is scanned by ``JSONScanner`` (the scanner of ``JSONBytesDecoder``), so a
    /// value checked against a schema is read exactly as the decoder that follows reads it: the
    /// first of repeated keys wins, and a number that does not fit a `Double` is an error.
    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONTreeDecoder(bytes).jsonValue(at: 0)
    }

    /// The same through Foundation's `JSONSerialization` (its `NSNumber`s told apart: booleans
    /// carry the `c` type encoding). Kept to compare against (`bench codec`, tests).
    package static func parseWithFoundation(_ bytes: [UInt8]) throws -> JSONValue {
        let object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        return try JSONValue(foundation: object)
    }

    private init(foundation object: Any) throws {
        // Containers are tried first: casting a Swift dictionary or array to `NSNumber` bridges
        // it to an `NSDictionary` or `NSArray` just to learn that it is not a number.
        switch object {
        case let dictionary as [String: Any]:
            var object: [String: JSONValue] = [:]
            object.reserveCapacity(dictionary.count)
            for (key, value) in dictionary { object[key] = try JSONValue(foundation: value) }
            self = .object(object)
        case let string as String:
            self = .string(string)
        case let array as [Any]:
            self = .array(try array.map { try JSONValue(foundation: $0) })
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" {
                self = .bool(number.boolValue)
            } else {
                self = .number(number.doubleValue)
            }
        case is NSNull:
            self = .null
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unsupported JSON value \(type(of: object))"))
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let n) = self { return n }
        return nil
    }

    public var intValue: Int? {
        if case .number(let n) = self, n.rounded() == n, abs(n) < 9.0e15 { return Int(n) }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The JSON Schema type name of this value.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number(let n): n.rounded() == n ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else if let o = try? container.decode([String: JSONValue].self) {
            self = .object(o)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n):
            if n.rounded() == n, abs(n) < 9.0e15 { try container.encode(Int64(n)) } else { try container.encode(n) }
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

extension JSONTreeDecoder {
    /// The scanned value at `node` as a ``JSONValue``.
    func jsonValue(at node: UInt32) throws -> JSONValue {
        let value = nodes[Int(node)]
        switch value.kind {
        case .null: return .null
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .number: return .number(try floatingPoint(Double.self, at: node))
        case .string: return .string(stringValue(at: node))
        case .array:
            var elements: [JSONValue] = []
            elements.reserveCapacity(Int(value.count))
            var element = node + 1
            while element < value.next {
                elements.append(try jsonValue(at: element))
                element = nodes[Int(element)].next
            }
            return .array(elements)
        case .object:
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(Int(value.count))
            var key = node + 1
            while key < value.next {
                let name = stringValue(at: key)
                if members[name] == nil { members[name] = try jsonValue(at: key + 1) }
                key = nodes[Int(key + 1)].next
            }
            return .object(members)
        }
    }
}
