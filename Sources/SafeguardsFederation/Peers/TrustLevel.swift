import SafeguardsCore

/// How far a node trusts a peer: a fixed-point number in 0...1, stored exactly as basis points
/// (0...10,000; 1 basis point = 0.0001).
///
/// Trust scales money (credit limit = trust × offered allocation), so it is never kept as a
/// floating-point number. It is written as a decimal (`"0.8"`) and read from:
///
/// - **a decimal string** (``init(parsing:)``): digits, optionally a `.` and more digits, no
///   sign or exponent, between 0 and 1. At most four decimal places may be non-zero: `"0.8"`,
///   `"0.75"`, `"0.1234"` and `"0.80000"` are exact; `"0.12345"` is refused, never rounded,
///   like ``Amount``.
/// - **a Double** (``init(_:)-(Double)``, what a YAML or JSON number becomes): it must be finite and
///   within 0...1, and is rounded to the nearest basis point, halves away from zero, computed as
///   `(value * 10_000).rounded()`. Every decimal with four places or fewer (`0.8`, `0.05`,
///   `0.1234`) lands on its own basis point this way, since the product is within a few ulps of
///   an integer far from a half; beyond four places the value is rounded, not refused, because
///   a Double cannot tell `0.12345` from the nearest binary fraction anyway.
///
/// Encoded as a JSON number (`0.8`); decoded from a number or a decimal string.
public struct TrustLevel: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Basis points in one whole (trust 1.0).
    public static let scale = 10_000

    /// The trust in basis points, 0...10,000.
    public let basisPoints: Int

    /// No trust: a peer at zero may draw nothing.
    public static let zero = TrustLevel(uncheckedBasisPoints: 0)
    /// Full trust.
    public static let full = TrustLevel(uncheckedBasisPoints: scale)

    private init(uncheckedBasisPoints: Int) {
        self.basisPoints = uncheckedBasisPoints
    }

    /// A trust level of `basisPoints` / 10,000; throws when it is outside 0...10,000.
    public init(basisPoints: Int) throws(TrustLevelError) {
        guard (0...TrustLevel.scale).contains(basisPoints) else { throw .outOfRange(String(basisPoints)) }
        self.basisPoints = basisPoints
    }

    /// `basisPoints` clamped into 0...10,000, for arithmetic that may step past either end.
    public init(clampingBasisPoints basisPoints: Int) {
        self.basisPoints = min(max(basisPoints, 0), TrustLevel.scale)
    }

    /// Parses a decimal string such as `"0.8"` (rules in the type's documentation).
    public init(parsing text: String) throws(TrustLevelError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 32 else { throw .malformed(text) }
        let dot = bytes.firstIndex(of: UInt8(ascii: "."))
        let integerPart = dot.map { bytes[..<$0] } ?? bytes[...]
        let fractionPart = dot.map { bytes[($0 + 1)...] } ?? []
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard !integerPart.isEmpty, integerPart.allSatisfy(isDigit), fractionPart.allSatisfy(isDigit),
            dot == nil || !fractionPart.isEmpty
        else { throw .malformed(text) }
        // Digits past the fourth place may only be zeros: trust is never rounded from text.
        guard fractionPart.dropFirst(4).allSatisfy({ $0 == UInt8(ascii: "0") }) else { throw .tooPrecise(text) }
        // At most 32 digits, but leading zeros are allowed, so the whole part is read without overflow.
        let wholeDigits = integerPart.drop(while: { $0 == UInt8(ascii: "0") })
        guard wholeDigits.count <= 1 else { throw .outOfRange(text) }
        let whole = wholeDigits.first.map { Int($0 - UInt8(ascii: "0")) } ?? 0
        var fraction = 0
        for index in 0..<4 {
            let digit = fractionPart.dropFirst(index).first.map { Int($0 - UInt8(ascii: "0")) } ?? 0
            fraction = fraction * 10 + digit
        }
        let total = whole * TrustLevel.scale + fraction
        guard total <= TrustLevel.scale else { throw .outOfRange(text) }
        self.basisPoints = total
    }

    /// Converts a configured number such as `0.8` (rounding rules in the type's documentation).
    public init(_ value: Double) throws(TrustLevelError) {
        guard value.isFinite, value >= 0, value <= 1 else { throw .outOfRange(String(describing: value)) }
        self.basisPoints = Int((value * Double(TrustLevel.scale)).rounded(.toNearestOrAwayFromZero))
    }

    /// The trust as a Double, for display and weighting only (never for money).
    public var doubleValue: Double { Double(basisPoints) / Double(TrustLevel.scale) }

    /// `amount` × trust, rounded toward zero to a micro-unit: the part of an offer this peer may draw.
    public func applied(to amount: Amount) throws(AmountError) -> Amount {
        try amount.scaled(by: Int64(basisPoints), over: Int64(TrustLevel.scale))
    }

    public static func < (lhs: TrustLevel, rhs: TrustLevel) -> Bool { lhs.basisPoints < rhs.basisPoints }

    /// The decimal form with four places: `"0.8000"`, `"1.0000"`.
    public var description: String {
        let fraction = String(basisPoints % TrustLevel.scale)
        return "\(basisPoints / TrustLevel.scale)." + String(repeating: "0", count: 4 - fraction.count) + fraction
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            if let text = try? container.decode(String.self) {
                try self.init(parsing: text)
            } else {
                try self.init(container.decode(Double.self))
            }
        } catch let error as TrustLevelError {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(doubleValue)
    }
}

/// Why a value is not a trust level.
public enum TrustLevelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not a plain decimal (`"0.8"`): signs, exponents, spaces and empty text are refused.
    case malformed(String)
    /// More than four non-zero decimal places; trust text is never rounded.
    case tooPrecise(String)
    /// Outside 0...1 (or not finite).
    case outOfRange(String)

    public var description: String {
        switch self {
        case .malformed(let text):
            return "'\(text.prefix(64))' is not a trust level (expected a decimal between 0 and 1, e.g. \"0.8\")"
        case .tooPrecise(let text):
            return "'\(text.prefix(64))' has more than 4 decimal places; trust is kept in basis points"
        case .outOfRange(let text):
            return "'\(text.prefix(64))' is outside the trust range 0...1"
        }
    }
}
