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
        var path: [PathStep] = []
        check(value, against: root, path: &path, into: &violations, limit: limit)
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

    /// Where a value sits: the keys and indices from the root. Kept as a stack while checking
    /// and written out only for a violation.
    enum PathStep {
        case key(String)
        case index(Int)
    }

    static func render(_ path: [PathStep], then last: PathStep? = nil) -> String {
        var text = "$"
        for step in path + (last.map { [$0] } ?? []) {
            switch step {
            case .key(let name): text += ".\(name)"
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }

    private func check(_ value: JSONValue, against rawSchema: JSONValue, path: inout [PathStep],
                       into out: inout [Violation], limit: Int) {
        guard out.count < limit else { return }
        if case .bool(let allowed) = rawSchema {
            if !allowed { out.append(Violation(path: Self.render(path), message: "is not allowed")) }
            return
        }
        let schema = resolve(rawSchema)
        guard case .object(let keywords) = schema else { return }

        if let type = keywords["type"] {
            let actual = value.typeName
            func admits(_ name: String?) -> Bool { name == actual || (actual == "integer" && name == "number") }
            let ok: Bool
            switch type {
            case .string(let name): ok = admits(name)
            case .array(let names): ok = names.contains { admits($0.stringValue) }
            default: ok = false
            }
            if !ok {
                let allowed = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
                out.append(Violation(path: Self.render(path), message: "must be \(allowed.joined(separator: " or ")), got \(actual)"))
                return
            }
        }
        if let options = keywords["enum"]?.arrayValue, !options.contains(value) {
            let names = options.map { $0.stringValue ?? "\($0)" }.joined(separator: ", ")
            out.append(Violation(path: Self.render(path), message: "must be one of: \(names)"))
        }
        if let constant = keywords["const"], constant != value {
            out.append(Violation(path: Self.render(path), message: "must equal \(constant.stringValue ?? "\(constant)")"))
        }
        checkNumber(value, keywords, &path, &out)
        checkString(value, keywords, &path, &out)
        checkArray(value, keywords, &path, &out, limit)
        checkObject(value, keywords, &path, &out, limit)
        checkCombinators(value, keywords, &path, &out, limit)
    }

    private func checkNumber(_ value: JSONValue, _ k: [String: JSONValue], _ path: inout [PathStep], _ out: inout [Violation]) {
        guard case .number(let n) = value else { return }
        if let min = k["minimum"]?.doubleValue, n < min { out.append(Violation(path: Self.render(path), message: "must be >= \(Self.show(min))")) }
        if let max = k["maximum"]?.doubleValue, n > max { out.append(Violation(path: Self.render(path), message: "must be <= \(Self.show(max))")) }
        if let min = k["exclusiveMinimum"]?.doubleValue, n <= min { out.append(Violation(path: Self.render(path), message: "must be > \(Self.show(min))")) }
        if let max = k["exclusiveMaximum"]?.doubleValue, n >= max { out.append(Violation(path: Self.render(path), message: "must be < \(Self.show(max))")) }
    }

    private func checkString(_ value: JSONValue, _ k: [String: JSONValue], _ path: inout [PathStep], _ out: inout [Violation]) {
        guard case .string(let s) = value else { return }
        let length = s.unicodeScalars.count
        if let min = k["minLength"]?.intValue, length < min { out.append(Violation(path: Self.render(path), message: "must have at least \(min) characters")) }
        if let max = k["maxLength"]?.intValue, length > max { out.append(Violation(path: Self.render(path), message: "must have at most \(max) characters")) }
    }

    private func checkArray(_ value: JSONValue, _ k: [String: JSONValue], _ path: inout [PathStep], _ out: inout [Violation], _ limit: Int) {
        guard case .array(let items) = value else { return }
        if let min = k["minItems"]?.intValue, items.count < min { out.append(Violation(path: Self.render(path), message: "must have at least \(min) items")) }
        if let max = k["maxItems"]?.intValue, items.count > max { out.append(Violation(path: Self.render(path), message: "must have at most \(max) items")) }
        if let itemSchema = k["items"] {
            for (index, item) in items.enumerated() where out.count < limit {
                path.append(.index(index))
                check(item, against: itemSchema, path: &path, into: &out, limit: limit)
                path.removeLast()
            }
        }
    }

    private func checkObject(_ value: JSONValue, _ k: [String: JSONValue], _ path: inout [PathStep], _ out: inout [Violation], _ limit: Int) {
        guard case .object(let object) = value else { return }
        for name in k["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
            out.append(Violation(path: Self.render(path, then: .key(name)), message: "is required"))
        }
        if let min = k["minProperties"]?.intValue, object.count < min { out.append(Violation(path: Self.render(path), message: "must have at least \(min) properties")) }
        if let max = k["maxProperties"]?.intValue, object.count > max { out.append(Violation(path: Self.render(path), message: "must have at most \(max) properties")) }
        let properties = k["properties"]?.objectValue ?? [:]
        for (name, child) in object.sorted(by: { $0.key < $1.key }) where out.count < limit {
            if let childSchema = properties[name] {
                path.append(.key(name))
                check(child, against: childSchema, path: &path, into: &out, limit: limit)
                path.removeLast()
            } else if let extra = k["additionalProperties"] {
                if case .bool(false) = extra {
                    out.append(Violation(path: Self.render(path, then: .key(name)), message: "is not a known field"))
                } else {
                    path.append(.key(name))
                    check(child, against: extra, path: &path, into: &out, limit: limit)
                    path.removeLast()
                }
            }
        }
    }

    private func checkCombinators(_ value: JSONValue, _ k: [String: JSONValue], _ path: inout [PathStep], _ out: inout [Violation], _ limit: Int) {
        if let all = k["allOf"]?.arrayValue {
            for schema in all { check(value, against: schema, path: &path, into: &out, limit: limit) }
        }
        let current = path
        if let any = k["anyOf"]?.arrayValue {
            let matches = any.contains { validateBranch(value, $0, current) }
            if !matches { out.append(Violation(path: Self.render(path), message: "does not match any allowed form")) }
        }
        if let one = k["oneOf"]?.arrayValue {
            let count = one.filter { validateBranch(value, $0, current) }.count
            if count != 1 { out.append(Violation(path: Self.render(path), message: count == 0 ? "does not match any allowed form" : "matches more than one form")) }
        }
    }

    private func validateBranch(_ value: JSONValue, _ schema: JSONValue, _ path: [PathStep]) -> Bool {
        var scratch: [Violation] = []
        var path = path
        check(value, against: schema, path: &path, into: &scratch, limit: 1)
        return scratch.isEmpty
    }

    private static func show(_ d: Double) -> String {
        d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }
}
