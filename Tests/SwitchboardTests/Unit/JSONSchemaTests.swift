import Switchboard
import Testing

@Suite("JSON Schema subset")
struct JSONSchemaTests {
    func schema(_ json: String) throws -> JSONSchema {
        JSONSchema(try JSONValue.parse(Array(json.utf8)))
    }

    func value(_ json: String) throws -> JSONValue {
        try JSONValue.parse(Array(json.utf8))
    }

    @Test("types, required fields and nested paths are reported with their location")
    func basics() throws {
        let s = try schema(#"{"type":"object","required":["a"],"properties":{"a":{"type":"integer","minimum":1},"b":{"type":"array","items":{"type":"string"}}}}"#)
        #expect(s.validate(try value(#"{"a":3,"b":["x"]}"#)).isEmpty)
        #expect(s.validate(try value(#"{"b":["x"]}"#)).map(\.description) == ["$.a: is required"])
        #expect(s.validate(try value(#"{"a":0}"#)).map(\.description) == ["$.a: must be >= 1"])
        #expect(s.validate(try value(#"{"a":1.5}"#)).map(\.description) == ["$.a: must be integer, got number"])
        #expect(s.validate(try value(#"{"a":1,"b":["x",2]}"#)).map(\.description) == ["$.b[1]: must be string, got integer"])
        #expect(s.validate(try value(#"[1]"#)).map(\.description) == ["$: must be object, got array"])
    }

    @Test("booleans are not numbers, and integers are numbers")
    func booleanVersusNumber() throws {
        let s = try schema(#"{"type":"number"}"#)
        #expect(s.validate(try value("true")).count == 1)
        #expect(s.validate(try value("3")).isEmpty)
        #expect(s.validate(try value("3.25")).isEmpty)
    }

    @Test("enum, const, string and array bounds, additionalProperties")
    func keywords() throws {
        let s = try schema(#"{"type":"object","additionalProperties":false,"properties":{"r":{"enum":["user","system"]},"s":{"type":"string","minLength":2,"maxLength":3},"l":{"type":"array","minItems":1,"maxItems":2}}}"#)
        #expect(s.validate(try value(#"{"r":"user","s":"ab","l":[1]}"#)).isEmpty)
        #expect(s.validate(try value(#"{"r":"wizard"}"#)).first?.message == "must be one of: user, system")
        #expect(s.validate(try value(#"{"s":"a"}"#)).first?.message == "must have at least 2 characters")
        #expect(s.validate(try value(#"{"l":[]}"#)).first?.message == "must have at least 1 items")
        #expect(s.validate(try value(#"{"l":[1,2,3]}"#)).first?.message == "must have at most 2 items")
        #expect(s.validate(try value(#"{"x":1}"#)).first?.description == "$.x: is not a known field")
    }

    @Test("anyOf, oneOf and local $ref")
    func combinators() throws {
        let s = try schema(##"{"$defs":{"n":{"type":"integer"}},"type":"object","properties":{"stop":{"anyOf":[{"type":"string"},{"type":"array","items":{"type":"string"}}]},"one":{"oneOf":[{"type":"integer"},{"type":"number"}]},"ref":{"$ref":"#/$defs/n"}}}"##)
        #expect(s.validate(try value(#"{"stop":"x"}"#)).isEmpty)
        #expect(s.validate(try value(#"{"stop":["x"]}"#)).isEmpty)
        #expect(s.validate(try value(#"{"stop":3}"#)).first?.message == "does not match any allowed form")
        #expect(s.validate(try value(#"{"one":1.5}"#)).isEmpty)
        #expect(s.validate(try value(#"{"one":1}"#)).first?.message == "matches more than one form")
        #expect(s.validate(try value(#"{"ref":"x"}"#)).first?.description == "$.ref: must be integer, got string")
    }

    @Test("not JSON, and invalid UTF-8, fail to parse")
    func parseFailures() {
        #expect(throws: (any Error).self) { try JSONValue.parse(Array("{".utf8)) }
        #expect(throws: (any Error).self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }
    }
}
