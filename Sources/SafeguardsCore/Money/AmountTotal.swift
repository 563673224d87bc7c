/// An exact total of many amounts, in micro-units held in 128 bits: what an account has posted
/// over its whole life.
///
/// An `Int64` counter of every debit ever posted would pass `Int64.max` after enough traffic and
/// then refuse every later transfer on the account. 128 bits hold the sum of 2^64 maximal
/// amounts, so a total of amounts cannot overflow.
public struct AmountTotal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The total in micro-units.
    public let micros: Int128

    /// A total of `micros` micro-units.
    public init(micros: Int128) {
        self.micros = micros
    }

    public static let zero = AmountTotal(micros: 0)

    /// The total with `amount` added (exact).
    public func adding(_ amount: Amount) -> AmountTotal {
        AmountTotal(micros: micros + Int128(amount.micros))
    }

    public static func < (lhs: AmountTotal, rhs: AmountTotal) -> Bool { lhs.micros < rhs.micros }

    /// The decimal form with all six places, like ``Amount/description``.
    public var description: String { Amount.decimalText(micros: micros) }
}
