import Foundation
import SafeguardsCore
import Testing

@Suite("Strict JSON check")
struct StrictJSONTests {
    static func verdict(_ text: String, maximumDepth: Int = StrictJSON.defaultMaximumDepth) -> StrictJSONError? {
        do {
            try StrictJSON.validate(Array(text.utf8), maximumDepth: maximumDepth)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        #"{}"#, #"[]"#, #""text""#, "0", "-0.5e+10", "1E3", "true", "false", "null", " \n\t{\r} ",
        #"{"a":1,"b":[1,2,{"a":2}],"c":{"a":{"a":null}}}"#,
        #"[{"a":1},{"a":2},{"a":3}]"#,
        #"{"a":"x","A":"y","a ":"z"}"#,
        #"{"\ud83d\ude00":1,"😀 ":2}"#,
        #"{"esc":"\" \\ \/ \b \f \n \r \t \u00e9"}"#,
        "{\"é\":1,\"e\":2}",
    ])
    func validJSONIsAccepted(_ text: String) {
        #expect(Self.verdict(text) == nil, "\(text)")
        // Foundation agrees that it is JSON.
        #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) != nil)
    }

    @Test func duplicateKeysAreNamed() {
        #expect(Self.verdict(#"{"amount":"1","amount":"1000"}"#) == .duplicateKey("amount"))
        // Equal after unescaping.
        #expect(Self.verdict(#"{"a":1,"\u0061":2}"#) == .duplicateKey("a"))
        #expect(Self.verdict(#"{"\ud83d\ude00":1,"😀":2}"#) == .duplicateKey("😀"))
        #expect(Self.verdict(#"{"a\/b":1,"a/b":2}"#) == .duplicateKey("a/b"))
        // Canonically equivalent spellings are one key to a Swift decoder, so they are one key here.
        #expect(Self.verdict("{\"\u{E9}\":1,\"e\u{301}\":2}") == .duplicateKey("\u{E9}"))
        // Nested objects, and objects inside arrays, are checked each on their own.
        #expect(Self.verdict(#"{"outer":{"inner":{"k":1,"k":2}}}"#) == .duplicateKey("k"))
        #expect(Self.verdict(#"[{"k":1},{"k":2},{"k":3,"k":4}]"#) == .duplicateKey("k"))
        #expect(Self.verdict(#"{"k":{"k":{"k":1}}}"#) == nil)
        #expect(Self.verdict(#"{"a":{"x":1},"b":{"x":1}}"#) == nil)
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(Self.verdict(deep) == .tooDeep(maximum: 64))
        let limit = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(Self.verdict(limit) == nil)
        let objects = String(repeating: #"{"a":"#, count: 4) + "1" + String(repeating: "}", count: 4)
        #expect(Self.verdict(objects, maximumDepth: 3) == .tooDeep(maximum: 3))
        #expect(Self.verdict(objects, maximumDepth: 4) == nil)
        // A hundred thousand open brackets are refused without recursing that deep.
        #expect(Self.verdict(String(repeating: "[", count: 100_000)) == .tooDeep(maximum: 64))
    }

    @Test(arguments: [
        "", " ", "{", "}", "[1,]", #"{"a":1,}"#, "{'a':1}", "[01]", "[1.]", "[.5]", "[1e]", "[-]", "NaN", "[Infinity]",
        "tru", "nul", "[1 2]", #"{"a" 1}"#, #"{a:1}"#, #"{"a":1}{}"#, "[1]x", "// c\n1", #""\x""#, #""\u12""#,
        #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, "\"tab\tin\"", "\"line\nbreak\"", #"{"a":1 "b":2}"#,
    ])
    func invalidJSONIsRefused(_ text: String) {
        guard case .invalid = Self.verdict(text) else {
            Issue.record("\(text.debugDescription) was not refused as invalid: \(String(describing: Self.verdict(text)))")
            return
        }
    }

    @Test func invalidUTF8IsRefused() {
        let cases: [[UInt8]] = [
            [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xE0, 0x80, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xC3, 0x22], [0x22, 0x80, 0x22], [0x22, 0xE2, 0x82],
        ]
        for bytes in cases {
            #expect(throws: StrictJSONError.self, "\(bytes)") { try StrictJSON.validate(bytes) }
        }
        #expect(throws: Never.self) { try StrictJSON.validate([0x22, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0x22]) }
    }

    @Test func errorsSayWhereAndWhat() {
        #expect(Self.verdict(#"{"amount":"1","amount":"2"}"#)?.description == "duplicate key 'amount' in a JSON object")
        #expect(Self.verdict("[1,]") == .invalid(offset: 3, reason: "expected a value"))
    }
    // MARK: Members

    static func members(_ text: String) throws(StrictJSONError) -> JSONMembers? {
        try StrictJSON.members(of: Array(text.utf8))
    }

    @Test func membersOfTheTopLevelObjectAreKeptUnescaped() throws {
        let text = #" {"a\u0062":"x\/y\n\u00e9\ud83d\ude00", "n":-1.5e3, "t":true, "f":false, "z":null, "o":{"a":[1]}, "l":[{}], "é":""} "#
        let members = try #require(try Self.members(text))
        #expect(members.entries.map(\.key) == ["ab", "n", "t", "f", "z", "o", "l", "é"])
        #expect(members["ab"] == .string("x/y\né😀"))
        #expect(members["n"] == .number("-1.5e3"))
        #expect(members["t"] == .bool(true))
        #expect(members["f"] == .bool(false))
        #expect(members["z"] == .null)
        #expect(members["o"] == .object)
        #expect(members["l"] == .array)
        #expect(members["é"] == .string(""))
        #expect(members["missing"] == nil)
        #expect(try Self.members("{}") == JSONMembers([]))
    }

    @Test(arguments: [#"[]"#, #""text""#, "1", "null", "true", #"[{"a":1}]"#])
    func aTopLevelValueThatIsNotAnObjectHasNoMembers(_ text: String) throws {
        #expect(try Self.members(text) == nil)
    }

    /// The members are read in the check's own pass: every text gets the same verdict from both.
    @Test(arguments: [
        "", "{", #"{"a":1,}"#, #"{"a":1,"a":2}"#, #"{"a":{"b":1,"b":2}}"#, #"{"a":"\ud800"}"#, "{\"a\":\"\u{1}\"}",
        #"{"a":[1,]}"#, #"{"a":01}"#, #"{"a":1}x"#, String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65),
        #"{"a":"x","A":"y"}"#, #"{"k":tru}"#, #"{"k":-}"#, #"{"k":"a\qb"}"#,
    ])
    func membersAndValidationAgree(_ text: String) {
        var membersError: StrictJSONError?
        do { _ = try Self.members(text) } catch { membersError = error }
        #expect(membersError == Self.verdict(text), "\(text)")
    }

    /// Objects with many keys are checked with a set past the first few: a key twice is still
    /// found wherever it is, also spelled apart.
    @Test func duplicatesAreFoundInLargeObjects() throws {
        let object = "{" + (0..<40).map { #""key\#($0)":1"# }.joined(separator: ",")
        #expect(Self.verdict(object + "}") == nil)
        #expect(try Self.members(object + "}")?.entries.count == 40)
        #expect(Self.verdict(object + #","key3":2}"#) == .duplicateKey("key3"))
        #expect(Self.verdict(object + #","key39":2}"#) == .duplicateKey("key39"))
        #expect(Self.verdict(object + #","key\u0033\u0039":2}"#) == .duplicateKey("key39"))
        let spelledApart = #"{"k1":1,"k2":1,"k3":1,"k4":1,"k5":1,"k6":1,"k7":1,"k8":1,"k9":1,"\u00e9":1,"e\u0301":2}"#
        #expect(Self.verdict(spelledApart) == .duplicateKey("\u{E9}"))
        #expect(throws: StrictJSONError.duplicateKey("key7")) { try Self.members(object + #","key7":2}"#) }
    }
}
