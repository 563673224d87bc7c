import SafeguardsCore
import Testing

@Suite("Sums of amounts")
struct AmountSumTests {
    @Test func exactSumsPassTheRangeOfAnAmount() {
        let sum = Amount.exactSum([.max, .max, 1])
        #expect(sum == 2 * Int128(Int64.max) + 1_000_000)
        #expect(Amount.exactSum([Amount]()) == 0)
        #expect(Amount.exactSum([.max, Amount(micros: -Int64.max)]) == 0)
    }

    @Test func clampedSumsStayInTheDocumentedRange() throws {
        #expect(Amount.clampedSum([.max, .max]) == .max)
        #expect(Amount.clampedSum([Amount(micros: -Int64.max), Amount(micros: -Int64.max)]) == Amount(micros: -Int64.max))
        #expect(Amount.clampedSum([12, Amount(micros: 500_000)]) == (try Amount(parsing: "12.5")))
    }

    /// Found by the fuzzer (Fuzz/, target `amount`): a total clamped to `Int64.min` micro-units
    /// printed as "-9223372036854.775808", which the parser (and so every client) refuses.
    @Test func aClampedTotalPrintsAsTextThatParsesBack() throws {
        for micros in [Int128.min, Int128(Int64.min), Int128(Int64.min) + 1, Int128(Int64.max) + 1, Int128.max] {
            let amount = Amount(clamping: micros)
            #expect(try Amount(parsing: amount.description) == amount, "\(micros)")
        }
        #expect(Amount(clamping: Int128(Int64.min)) == Amount(micros: -Int64.max))
    }

    @Test func totalsPrintLikeAmounts() {
        #expect(AmountTotal(micros: 2 * Int128(Int64.max)).description == "18446744073709.551614")
        #expect(AmountTotal(micros: -400).description == "-0.000400")
        #expect(AmountTotal.zero.adding(.max).adding(.max) > AmountTotal(micros: Int128(Int64.max)))
    }
}
