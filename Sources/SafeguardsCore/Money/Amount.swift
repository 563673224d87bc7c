/// An exact amount of budget: a signed fixed-point number with six decimal places, stored as
/// micro-units in an `Int64`.
///
/// Amounts are never built from floating point. They are parsed from decimal strings
/// (`"12.5"`, `"0.0004"`) and written back as decimal strings with all six places
/// (`"12.500000"`). Arithmetic is overflow-checked and throws instead of trapping or wrapping.
public struct Amount: Sendable, Hashable, Comparable {
    /// Micro-units per whole unit.
    public static let scale: Int64 = 1_000_000
    /// Number of decimal places an amount carries.
    public static let decimalPlaces = 6

    /// The value in micro-units (1 unit = 1,000,000 micro-units).
    public let micros: Int64

    /// Creates an amount from micro-units.
    public init(micros: Int64) {
        self.micros = micros
    }

    /// The amount nearest to `micros` within ±``max``: a total computed in 128 bits that lies
    /// beyond the range becomes ``max`` or `-max`. For totals that are shown as an amount. (Not
    /// `Int64.min`: its decimal form is outside the range the parser takes, so it could not be
    /// read back.)
    public init(clamping micros: Int128) {
        self.micros = Int64(clamping: Swift.max(micros, -Int128(Int64.max)))
    }

    /// Creates an amount of whole units; throws ``AmountError/outOfRange(_:)`` when it does not fit.
    public init(units: Int64) throws(AmountError) {
        let (value, overflow) = units.multipliedReportingOverflow(by: Amount.scale)
        guard !overflow else { throw .outOfRange(String(units)) }
        self.micros = value
    }

    public static let zero = Amount(micros: 0)
    /// The largest representable amount (9,223,372,036,854.775807).
    public static let max = Amount(micros: Int64.max)

    public var isPositive: Bool { micros > 0 }
    public var isNegative: Bool { micros < 0 }
    public var isZero: Bool { micros == 0 }

    public static func < (lhs: Amount, rhs: Amount) -> Bool { lhs.micros < rhs.micros }

    /// `self + other`, or ``AmountError/overflow`` when the sum leaves the representable range.
    public func adding(_ other: Amount) throws(AmountError) -> Amount {
        let (value, overflow) = micros.addingReportingOverflow(other.micros)
        guard !overflow else { throw .overflow }
        return Amount(micros: value)
    }

    /// `self - other`, or ``AmountError/overflow`` when the difference leaves the representable range.
    public func subtracting(_ other: Amount) throws(AmountError) -> Amount {
        let (value, overflow) = micros.subtractingReportingOverflow(other.micros)
        guard !overflow else { throw .overflow }
        return Amount(micros: value)
    }

    /// The amount scaled by `numerator / denominator`, rounded toward zero to a micro-unit.
    ///
    /// Used for percentages and shares; the intermediate product is 128-bit so it cannot overflow.
    public func scaled(by numerator: Int64, over denominator: Int64) throws(AmountError) -> Amount {
        guard denominator != 0 else { throw .overflow }
        let product = Int128(micros) * Int128(numerator) / Int128(denominator)
        guard let value = Int64(exactly: product) else { throw .overflow }
        return Amount(micros: value)
    }

    /// Whether `self` is at least `percent`% of `whole` (exact integer comparison).
    public func isAtLeast(percent: Int64, of whole: Amount) -> Bool {
        Int128(micros) * 100 >= Int128(whole.micros) * Int128(percent)
    }

    /// `self / whole` as basis points (1/100 of a percent), rounded down; 0 when `whole` is not positive.
    public func basisPoints(of whole: Amount) -> Int64 {
        guard whole.micros > 0 else { return 0 }
        let value = Int128(micros) * 10_000 / Int128(whole.micros)
        return Int64(clamping: value)
    }
}

extension Amount {
    /// The exact sum of `amounts` in micro-units. 128 bits hold the sum of 2^64 amounts, so the
    /// sum cannot overflow however many amounts there are.
    public static func exactSum(_ amounts: some Sequence<Amount>) -> Int128 {
        amounts.reduce(Int128(0)) { $0 + Int128($1.micros) }
    }

    /// The sum of `amounts` as an amount: exact when it is in range, else ``max`` (or `-max`).
    /// For totals that are shown or compared, never for totals that are booked.
    public static func clampedSum(_ amounts: some Sequence<Amount>) -> Amount {
        Amount(clamping: exactSum(amounts))
    }
}

/// Why a string or an operation did not give a valid ``Amount``.
public enum AmountError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not a plain decimal number (`"12"`, `"-0.5"`, `"100.000001"`).
    case malformed(String)
    /// More than six decimal places: the amount would have to be rounded.
    case tooPrecise(String)
    /// The value does not fit in the representable range.
    case outOfRange(String)
    /// An arithmetic result left the representable range.
    case overflow

    public var description: String {
        switch self {
        case .malformed(let text):
            return "'\(text.prefix(64))' is not a decimal amount (expected digits with an optional sign and "
                + "up to \(Amount.decimalPlaces) decimal places, e.g. \"12.5\")"
        case .tooPrecise(let text):
            return "'\(text.prefix(64))' has more than \(Amount.decimalPlaces) decimal places; amounts are never rounded"
        case .outOfRange(let text):
            return "'\(text.prefix(64))' is outside the representable range (±\(Amount.max))"
        case .overflow:
            return "the result is outside the representable range (±\(Amount.max))"
        }
    }
}

extension Amount {
    /// Parses a plain decimal string: an optional `-` or `+`, digits, and optionally a `.` followed
    /// by at most six digits. Exponents, `NaN`, infinities, spaces, separators and empty strings are
    /// refused; nothing is rounded.
    public init(parsing text: String) throws(AmountError) {
        var bytes = Array(text.utf8)[...]
        guard !bytes.isEmpty, bytes.count <= 64 else { throw .malformed(text) }
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        let dot = bytes.firstIndex(of: UInt8(ascii: "."))
        let integerPart = dot.map { bytes[bytes.startIndex..<$0] } ?? bytes
        let fractionPart = dot.map { bytes[bytes.index(after: $0)...] } ?? []
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard !integerPart.isEmpty, integerPart.allSatisfy(isDigit), fractionPart.allSatisfy(isDigit),
            dot == nil || !fractionPart.isEmpty
        else { throw .malformed(text) }
        guard fractionPart.count <= Amount.decimalPlaces else { throw .tooPrecise(text) }

        var whole: Int64 = 0
        for digit in integerPart {
            let (shifted, o1) = whole.multipliedReportingOverflow(by: 10)
            let (next, o2) = shifted.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw .outOfRange(text) }
            whole = next
        }
        var fraction: Int64 = 0
        for digit in fractionPart { fraction = fraction * 10 + Int64(digit - UInt8(ascii: "0")) }
        for _ in fractionPart.count..<Amount.decimalPlaces { fraction *= 10 }
        let (scaled, o3) = whole.multipliedReportingOverflow(by: Amount.scale)
        let (magnitude, o4) = scaled.addingReportingOverflow(fraction)
        guard !o3, !o4 else { throw .outOfRange(text) }
        self.micros = negative ? -magnitude : magnitude
    }
}

extension Amount: CustomStringConvertible, LosslessStringConvertible {
    /// The decimal form with all six places, e.g. `"12.500000"` or `"-0.000400"`.
    ///
    /// The one way an amount is written, for programs and people alike: JSON bodies, problem
    /// messages, CLI tables, the status page and logs all show `"\(amount)"`, so a number read in
    /// one place is found as it is in any other. ``AmountTotal`` writes its sums the same way.
    public var description: String { Amount.decimalText(micros: Int128(micros)) }

    /// `micros` micro-units as a decimal with all six places; shared with ``AmountTotal``.
    static func decimalText(micros: Int128) -> String {
        let magnitude = micros.magnitude
        let whole = magnitude / UInt128(Amount.scale)
        let fraction = String(magnitude % UInt128(Amount.scale))
        let padded = String(repeating: "0", count: Amount.decimalPlaces - fraction.count) + fraction
        return (micros < 0 ? "-" : "") + "\(whole).\(padded)"
    }

    public init?(_ description: String) {
        guard let value = try? Amount(parsing: description) else { return nil }
        self = value
    }
}

extension Amount: ExpressibleByIntegerLiteral {
    /// Whole units from a literal in source code (`let fee: Amount = 5`). A literal too large
    /// to represent is a programming error and traps at the literal's site.
    public init(integerLiteral value: Int64) {
        self.micros = value * Amount.scale
    }
}

extension Amount: Codable {
    /// Every decoding error of an amount starts with this, so an API can answer `invalid_amount`.
    public static let decodingErrorPrefix = "invalid amount: "

    /// Decodes only from a JSON string: a JSON number would already have passed through `Double`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let text = try? container.decode(String.self) else {
            throw DecodingError.typeMismatch(
                Amount.self,
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: Amount.decodingErrorPrefix + "amounts are decimal strings such as \"12.5\", not JSON numbers"
                )
            )
        }
        do {
            self = try Amount(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: Amount.decodingErrorPrefix + error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
