/// A strict check of JSON text, run on bytes from outside before they are decoded.
///
/// Foundation's `JSONDecoder` keeps the last of two equal keys in an object, so
/// `{"amount":"1","amount":"1000"}` would be read as 1000 by one parser and 1 by another. This
/// check refuses such text instead, and it bounds nesting so that a body cannot make a decoder
/// recurse without limit.
///
/// One pass over the bytes, no allocation beyond the keys of the objects currently open. It
/// accepts exactly RFC 8259 JSON in UTF-8 (any value at the top, whitespace around it) and refuses:
/// - two keys of one object that are equal after unescaping (`"a"` and `"\u0061"` are the same
///   key) and under Swift's `String` equality, which is the equality a decoder's keyed container uses;
/// - nesting of objects and arrays deeper than the maximum depth;
/// - invalid UTF-8, unescaped control characters, unpaired UTF-16 surrogate escapes, and anything
///   else that is not JSON (trailing commas, comments, `NaN`, leading zeros, single quotes...).
public enum StrictJSON {
    /// How many objects and arrays may be open at once unless a caller says otherwise.
    public static let defaultMaximumDepth = 64

    /// Checks that `bytes` are one JSON value with no duplicate keys and at most `maximumDepth`
    /// levels of nesting.
    ///
    /// - Throws: ``StrictJSONError`` naming the duplicate key, the depth limit, or the byte offset
    ///   where the text stopped being JSON.
    public static func validate(_ bytes: some Collection<UInt8>, maximumDepth: Int = defaultMaximumDepth)
        throws(StrictJSONError)
    {
        var scanner = StrictJSONScanner(bytes: Array(bytes), maximumDepth: maximumDepth)
        try scanner.scanDocument()
    }

    /// The same check as ``validate(_:maximumDepth:)``, and in the same pass the members of the
    /// top-level object: `nil` when the text is JSON but its top-level value is not an object.
    ///
    /// - Throws: ``StrictJSONError``, exactly as ``validate(_:maximumDepth:)`` does for the same bytes.
    public static func members(of bytes: some Collection<UInt8>, maximumDepth: Int = defaultMaximumDepth)
        throws(StrictJSONError) -> JSONMembers?
    {
        var scanner = StrictJSONScanner(bytes: Array(bytes), maximumDepth: maximumDepth, keepsMembers: true)
        try scanner.scanDocument()
        return scanner.members
    }
}

/// Why bytes were refused by ``StrictJSON/validate(_:maximumDepth:)``.
public enum StrictJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An object has the key twice (after unescaping); `key` is the key as decoded.
    case duplicateKey(String)
    /// Objects and arrays nest deeper than `maximum` levels.
    case tooDeep(maximum: Int)
    /// The bytes are not JSON: `reason` says what was found at byte `offset`.
    case invalid(offset: Int, reason: String)

    public var description: String {
        switch self {
        case .duplicateKey(let key):
            return "duplicate key '\(key.prefix(64))' in a JSON object"
        case .tooDeep(let maximum):
            return "JSON nested deeper than \(maximum) levels"
        case .invalid(let offset, let reason):
            return "not valid JSON at byte \(offset): \(reason)"
        }
    }
}

/// The scanner behind ``StrictJSON``: a recursive descent whose recursion is bounded by the depth limit.
struct StrictJSONScanner {
    let bytes: [UInt8]
    let maximumDepth: Int
    /// Whether the members of a top-level object are kept (``StrictJSON/members(of:maximumDepth:)``).
    let keepsMembers: Bool
    var offset = 0
    var depth = 0
    /// The top-level object's members, when ``keepsMembers`` and the top-level value is an object.
    var members: JSONMembers?

    init(bytes: [UInt8], maximumDepth: Int, keepsMembers: Bool = false) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
        self.keepsMembers = keepsMembers
    }

    mutating func scanDocument() throws(StrictJSONError) {
        skipWhitespace()
        try scanValue()
        skipWhitespace()
        guard offset == bytes.count else { throw invalid("unexpected bytes after the value") }
    }

    private var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    private func invalid(_ reason: String) -> StrictJSONError {
        .invalid(offset: offset, reason: reason)
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { offset += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(StrictJSONError) {
        guard current == byte else { throw invalid("expected \(what)") }
        offset += 1
    }

    private mutating func scanValue() throws(StrictJSONError) {
        guard let byte = current else { throw invalid("the text ends where a value was expected") }
        switch byte {
        case UInt8(ascii: "{"): try scanContainer(isObject: true)
        case UInt8(ascii: "["): try scanContainer(isObject: false)
        case UInt8(ascii: "\""): _ = try scanString(keepingText: false)
        case UInt8(ascii: "t"): try scanLiteral("true")
        case UInt8(ascii: "f"): try scanLiteral("false")
        case UInt8(ascii: "n"): try scanLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try scanNumber()
        default: throw invalid("expected a value")
        }
    }

    private mutating func scanLiteral(_ literal: StaticString) throws(StrictJSONError) {
        let count = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { expected in
            bytes.count - offset >= count && bytes[offset..<offset + count].elementsEqual(expected)
        }
        guard matches else { throw invalid("expected \(literal)") }
        offset += count
    }

    /// An object or an array, whose opening bracket is the current byte.
    private mutating func scanContainer(isObject: Bool) throws(StrictJSONError) {
        guard depth < maximumDepth else { throw .tooDeep(maximum: maximumDepth) }
        depth += 1
        defer { depth -= 1 }
        offset += 1
        let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
        let keepsThese = keepsMembers && isObject && depth == 1
        var keys = SeenKeys()
        var kept: [JSONMembers.Member] = []
        defer { if keepsThese { members = JSONMembers(kept) } }
        skipWhitespace()
        if current == close {
            offset += 1
            return
        }
        while true {
            skipWhitespace()
            if isObject {
                guard current == UInt8(ascii: "\"") else { throw invalid("expected a key") }
                let key = try scanString(keepingText: true)
                guard keys.insert(key) else { throw .duplicateKey(key) }
                skipWhitespace()
                try expect(UInt8(ascii: ":"), "':' after a key")
                skipWhitespace()
                if keepsThese {
                    kept.append(JSONMembers.Member(key: key, value: try scanMemberValue()))
                } else {
                    try scanValue()
                }
            } else {
                try scanValue()
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): offset += 1
            case close:
                offset += 1
                return
            default: throw invalid(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
            }
        }
    }

    /// A value of a kept member: scanned as ``scanValue()`` does, with the text of a string or a number.
    private mutating func scanMemberValue() throws(StrictJSONError) -> JSONMembers.Value {
        // At the end of the text `scanValue()` below throws what it throws for any value.
        switch current ?? 0 {
        case UInt8(ascii: "\""): return .string(try scanString(keepingText: true))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = offset
            try scanNumber()
            // Sign, digits, '.', 'e', '+': all ASCII.
            return .number(String(decoding: bytes[start..<offset], as: UTF8.self))
        case UInt8(ascii: "t"):
            try scanLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try scanLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try scanLiteral("null")
            return .null
        case UInt8(ascii: "{"):
            try scanValue()
            return .object
        default:
            try scanValue()
            return .array
        }
    }

    private mutating func scanNumber() throws(StrictJSONError) {
        if current == UInt8(ascii: "-") { offset += 1 }
        if current == UInt8(ascii: "0") {
            offset += 1
        } else {
            guard try scanDigits() else { throw invalid("expected a digit") }
        }
        if current == UInt8(ascii: ".") {
            offset += 1
            guard try scanDigits() else { throw invalid("expected a digit after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            offset += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
            guard try scanDigits() else { throw invalid("expected a digit in the exponent") }
        }
    }

    /// Skips a run of digits; whether there was at least one.
    private mutating func scanDigits() throws(StrictJSONError) -> Bool {
        let start = offset
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { offset += 1 }
        return offset > start
    }

    /// A string whose opening quote is the current byte; its unescaped text when `keepingText`
    /// (for keys and kept members), else an empty string.
    private mutating func scanString(keepingText: Bool) throws(StrictJSONError) -> String {
        offset += 1
        // Unescaped text is decoded straight from the input; only escapes need a buffer.
        var run = offset
        var text: [UInt8] = []
        var escaped = false
        while true {
            guard let byte = current else { throw invalid("the text ends inside a string") }
            switch byte {
            case UInt8(ascii: "\""):
                defer { offset += 1 }
                // Every byte run was checked as UTF-8 and every escape written as UTF-8 of a valid scalar.
                guard keepingText else { return "" }
                guard escaped else { return String(decoding: bytes[run..<offset], as: UTF8.self) }
                text.append(contentsOf: bytes[run..<offset])
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                if keepingText { text.append(contentsOf: bytes[run..<offset]) }
                escaped = true
                offset += 1
                let scalar = try scanEscape()
                if keepingText { text.append(contentsOf: String(Character(scalar)).utf8) }
                run = offset
            case 0x00..<0x20:
                throw invalid("unescaped control character in a string")
            case 0x00..<0x80:
                offset += 1
            default:
                _ = try scanMultibyteScalar()
            }
        }
    }

    /// The scalar an escape stands for; the current byte follows the backslash.
    private mutating func scanEscape() throws(StrictJSONError) -> Unicode.Scalar {
        guard let byte = current else { throw invalid("the text ends inside an escape") }
        offset += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try scanHexUnit()
            if (0xD800...0xDBFF).contains(unit) {
                guard current == UInt8(ascii: "\\"), offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u")
                else { throw invalid("a high surrogate escape without its low surrogate") }
                offset += 2
                let low = try scanHexUnit()
                guard (0xDC00...0xDFFF).contains(low) else { throw invalid("a high surrogate escape without its low surrogate") }
                let value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                // Always a valid scalar: the range is 0x10000...0x10FFFF.
                return Unicode.Scalar(value) ?? "\u{FFFD}"
            }
            guard let scalar = Unicode.Scalar(UInt32(unit)) else { throw invalid("a low surrogate escape on its own") }
            return scalar
        default:
            offset -= 1
            throw invalid("unknown escape")
        }
    }

    private mutating func scanHexUnit() throws(StrictJSONError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw invalid("the text ends inside a \\u escape") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw invalid("expected a hex digit in a \\u escape")
            }
            value = value << 4 | UInt16(digit)
            offset += 1
        }
        return value
    }

    /// Skips one UTF-8 encoded scalar of two to four bytes starting at the current byte; its length.
    /// Refuses overlong forms, surrogates, values above U+10FFFF and stray continuation bytes.
    private mutating func scanMultibyteScalar() throws(StrictJSONError) -> Int {
        let lead = bytes[offset]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            secondRange = 0x80...0x9F
        case 0xF0:
            length = 4
            secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            secondRange = 0x80...0x8F
        default: throw invalid("invalid UTF-8")
        }
        guard bytes.count - offset >= length, secondRange.contains(bytes[offset + 1]) else {
            throw invalid("invalid UTF-8")
        }
        for index in offset + 2..<offset + length where !(0x80...0xBF).contains(bytes[index]) {
            offset = index
            throw invalid("invalid UTF-8")
        }
        offset += length
        return length
    }
}
