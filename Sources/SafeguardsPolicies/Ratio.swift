import SafeguardsCore

/// A fraction between 0 and 1 (or a rate above it) in basis points: exact, no floating point.
public struct Ratio: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let basisPoints: Int64

    public init(basisPoints: Int64) {
        self.basisPoints = basisPoints
    }

    /// Parses `"0.7"`, `"0.25"`, `"1.5"`: a plain decimal as ``Amount`` reads it, not negative,
    /// with at most four decimal places that are not zero, below a million.
    public init(parsing text: String) throws(PolicyError) {
        guard let amount = try? Amount(parsing: text), !text.hasPrefix("-"), !text.hasPrefix("+") else {
            throw PolicyError("'\(text)' is not a decimal ratio such as 0.7 (no sign, no exponent)")
        }
        guard amount.micros % 100 == 0 else { throw PolicyError("'\(text)' is not a decimal ratio with at most four decimals") }
        guard amount.micros < 1_000_000 * 1_000_000 else { throw PolicyError("'\(text)' is too large for a ratio") }
        self.basisPoints = amount.micros / 100
    }

    public static func < (lhs: Ratio, rhs: Ratio) -> Bool { lhs.basisPoints < rhs.basisPoints }

    /// `amount × self`, rounded toward zero.
    public func of(_ amount: Amount) -> Amount {
        (try? amount.scaled(by: basisPoints, over: 10_000)) ?? (basisPoints > 0 ? Amount(micros: .max) : .zero)
    }

    public var description: String {
        let whole = basisPoints / 10_000
        var fraction = String(basisPoints % 10_000)
        fraction = String(repeating: "0", count: 4 - fraction.count) + fraction
        while fraction.hasSuffix("0") && fraction.count > 1 { fraction.removeLast() }
        return "\(whole).\(fraction)"
    }
}

/// A policy's configuration or input is not usable. The message says why.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Amount {
    /// `units` (a learned or computed quantity, not money from a user) in micro-units, rounded by
    /// `rule` and clamped to 0...the largest amount; not-a-number is zero. Learned figures must
    /// never trap on a value too large for the ledger.
    public init(approximately units: Double, rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) {
        let micros = (units * 1_000_000).rounded(rule)
        if micros.isNaN || micros <= 0 {
            self.init(micros: 0)
        } else if micros >= 9.2e18 {
            self.init(micros: .max)
        } else {
            self.init(micros: Int64(micros))
        }
    }
}
