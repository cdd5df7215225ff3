import Foundation

/// A validator for the JSON Schema subset the topic contracts use: `type`, `properties`,
/// `required`, `additionalProperties`, `items`, `enum`, `const`, `minimum`/`maximum`
/// (and exclusive forms), `minLength`/`maxLength`, `minItems`/`maxItems`,
/// `minProperties`/`maxProperties`, `anyOf`/`oneOf`/`allOf`, and local `$ref` to `#/$defs/...`.
/// Unknown keywords (`description`, `title`, `format`, ...) are ignored, as the spec allows.
public struct JSONSchema: Sendable {
    public let root: JSONValue

    public init(_ root: JSONValue) {
        self.root = root
    }

    /// One violation: where in the document, and what is wrong.
    public struct Violation: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path.isEmpty ? "$" : path): \(message)" }
    }

    /// All violations of `value` (empty when valid); stops collecting after `limit`.
    public func validate(_ value: JSONValue, limit: Int = 10) -> [Violation] {
        var violations: [Violation] = []
        check(value, against: root, path: "$", into: &violations, limit: limit)
        return violations
    }

    private func resolve(_ schema: JSONValue) -> JSONValue {
        guard let ref = schema["$ref"]?.stringValue, ref.hasPrefix("#/") else { return schema }
        var node = root
        for part in ref.dropFirst(2).split(separator: "/") {
            guard let next = node[String(part)] else { return schema }
            node = next
        }
        return node
    }

    private func check(_ value: JSONValue, against rawSchema: JSONValue, path: String,
                       into out: inout [Violation], limit: Int) {
        guard out.count < limit else { return }
        if case .bool(let allowed) = rawSchema {
            if !allowed { out.append(Violation(path: path, message: "is not allowed")) }
            return
        }
        let schema = resolve(rawSchema)
        guard case .object(let keywords) = schema else { return }

        if let type = keywords["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
            let actual = value.typeName
            let ok = allowed.contains(actual) || (actual == "integer" && allowed.contains("number"))
            if !ok {
                out.append(Violation(path: path, message: "must be \(allowed.joined(separator: " or ")), got \(actual)"))
                return
            }
        }
        if let options = keywords["enum"]?.arrayValue, !options.contains(value) {
            let names = options.map { $0.stringValue ?? "\($0)" }.joined(separator: ", ")
            out.append(Violation(path: path, message: "must be one of: \(names)"))
        }
        if let constant = keywords["const"], constant != value {
            out.append(Violation(path: path, message: "must equal \(constant.stringValue ?? "\(constant)")"))
        }
        checkNumber(value, keywords, path, &out)
        checkString(value, keywords, path, &out)
        checkArray(value, keywords, path, &out, limit)
        checkObject(value, keywords, path, &out, limit)
        checkCombinators(value, keywords, path, &out, limit)
    }

    private func checkNumber(_ value: JSONValue, _ k: [String: JSONValue], _ path: String, _ out: inout [Violation]) {
        guard case .number(let n) = value else { return }
        if let min = k["minimum"]?.doubleValue, n < min { out.append(Violation(path: path, message: "must be >= \(Self.show(min))")) }
        if let max = k["maximum"]?.doubleValue, n > max { out.append(Violation(path: path, message: "must be <= \(Self.show(max))")) }
        if let min = k["exclusiveMinimum"]?.doubleValue, n <= min { out.append(Violation(path: path, message: "must be > \(Self.show(min))")) }
        if let max = k["exclusiveMaximum"]?.doubleValue, n >= max { out.append(Violation(path: path, message: "must be < \(Self.show(max))")) }
    }

    private func checkString(_ value: JSONValue, _ k: [String: JSONValue], _ path: String, _ out: inout [Violation]) {
        guard case .string(let s) = value else { return }
        let length = s.unicodeScalars.count
        if let min = k["minLength"]?.intValue, length < min { out.append(Violation(path: path, message: "must have at least \(min) characters")) }
        if let max = k["maxLength"]?.intValue, length > max { out.append(Violation(path: path, message: "must have at most \(max) characters")) }
    }

    private func checkArray(_ value: JSONValue, _ k: [String: JSONValue], _ path: String, _ out: inout [Violation], _ limit: Int) {
        guard case .array(let items) = value else { return }
        if let min = k["minItems"]?.intValue, items.count < min { out.append(Violation(path: path, message: "must have at least \(min) items")) }
        if let max = k["maxItems"]?.intValue, items.count > max { out.append(Violation(path: path, message: "must have at most \(max) items")) }
        if let itemSchema = k["items"] {
            for (index, item) in items.enumerated() where out.count < limit {
                check(item, against: itemSchema, path: "\(path)[\(index)]", into: &out, limit: limit)
            }
        }
    }

    private func checkObject(_ value: JSONValue, _ k: [String: JSONValue], _ path: String, _ out: inout [Violation], _ limit: Int) {
        guard case .object(let object) = value else { return }
        for name in k["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
            out.append(Violation(path: "\(path).\(name)", message: "is required"))
        }
        if let min = k["minProperties"]?.intValue, object.count < min { out.append(Violation(path: path, message: "must have at least \(min) properties")) }
        if let max = k["maxProperties"]?.intValue, object.count > max { out.append(Violation(path: path, message: "must have at most \(max) properties")) }
        let properties = k["properties"]?.objectValue ?? [:]
        for (name, child) in object.sorted(by: { $0.key < $1.key }) where out.count < limit {
            if let childSchema = properties[name] {
                check(child, against: childSchema, path: "\(path).\(name)", into: &out, limit: limit)
            } else if let extra = k["additionalProperties"] {
                if case .bool(false) = extra {
                    out.append(Violation(path: "\(path).\(name)", message: "is not a known field"))
                } else {
                    check(child, against: extra, path: "\(path).\(name)", into: &out, limit: limit)
                }
            }
        }
    }

    private func checkCombinators(_ value: JSONValue, _ k: [String: JSONValue], _ path: String, _ out: inout [Violation], _ limit: Int) {
        if let all = k["allOf"]?.arrayValue {
            for schema in all { check(value, against: schema, path: path, into: &out, limit: limit) }
        }
        if let any = k["anyOf"]?.arrayValue {
            let matches = any.contains { validateBranch(value, $0, path) }
            if !matches { out.append(Violation(path: path, message: "does not match any allowed form")) }
        }
        if let one = k["oneOf"]?.arrayValue {
            let count = one.filter { validateBranch(value, $0, path) }.count
            if count != 1 { out.append(Violation(path: path, message: count == 0 ? "does not match any allowed form" : "matches more than one form")) }
        }
    }

    private func validateBranch(_ value: JSONValue, _ schema: JSONValue, _ path: String) -> Bool {
        var scratch: [Violation] = []
        check(value, against: schema, path: path, into: &scratch, limit: 1)
        return scratch.isEmpty
    }

    private static func show(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }
}
