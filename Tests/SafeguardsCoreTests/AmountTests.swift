import Foundation
import SafeguardsCore
import SafeguardsTestKit
import Testing

@Suite("Amount parsing")
struct AmountParsingTests {
    @Test(
        "accepts plain decimal strings",
        arguments: [
            ("100.0", Int64(100_000_000)),
            ("0.0004", 400),
            ("12", 12_000_000),
            ("-0.5", -500_000),
            ("+3", 3_000_000),
            ("9223372036854.775807", Int64.max),
            ("-9223372036854.775807", -Int64.max),
            ("0", 0),
            ("-0", 0),
            ("0.000001", 1),
            ("007.50", 7_500_000),
        ]
    )
    func acceptsPlainDecimals(text: String, micros: Int64) throws {
        #expect(try Amount(parsing: text).micros == micros)
        #expect(Amount(text)?.micros == micros)
    }

    @Test(
        "refuses anything that is not a plain decimal",
        arguments: [
            "", "NaN", "nan", "inf", "Infinity", "-inf", "1e5", "1E-3", "1.", ".5", " 1", "1 ", "1,000", "--1",
            "+-1", "-", "+", ".", "0x10", "1.2.3", "١٢", "１２", "1_000", String(repeating: "1", count: 65),
        ]
    )
    func refusesMalformedText(text: String) {
        #expect(throws: AmountError.malformed(text)) { try Amount(parsing: text) }
        #expect(Amount(text) == nil)
    }

    @Test(
        "refuses more than six decimal places instead of rounding", arguments: ["0.0000001", "1.1234567", "-0.0000000"])
    func refusesTooPreciseText(text: String) {
        #expect(throws: AmountError.tooPrecise(text)) { try Amount(parsing: text) }
    }

    @Test(
        "refuses values outside the representable range",
        arguments: ["9223372036855", "9223372036854.775808", "-9223372036854.775808", "99999999999999999999"]
    )
    func refusesOutOfRangeText(text: String) {
        #expect(throws: AmountError.outOfRange(text)) { try Amount(parsing: text) }
    }

    @Test("error descriptions name the text and the rule")
    func errorDescriptionsExplainTheRefusal() {
        #expect(AmountError.malformed("1e5").description.contains("'1e5'"))
        #expect(AmountError.tooPrecise("0.0000001").description.contains("more than 6 decimal places"))
        #expect(AmountError.outOfRange("9223372036855").description.contains("9223372036854.775807"))
    }
}

@Suite("Amount formatting")
struct AmountFormattingTests {
    @Test(
        "description always has six decimal places",
        arguments: [
            (Int64(12_500_000), "12.500000"),
            (-400, "-0.000400"),
            (0, "0.000000"),
            (1, "0.000001"),
            (-1_000_000, "-1.000000"),
            (Int64.max, "9223372036854.775807"),
            (-Int64.max, "-9223372036854.775807"),
        ]
    )
    func descriptionHasSixPlaces(micros: Int64, text: String) {
        #expect(Amount(micros: micros).description == text)
    }

    @Test("parsing the description gives the same amount back")
    func descriptionRoundTrips() throws {
        var random = SeededRandom(seed: 0xA11CE)
        // Int64.min is outside the documented range (±Amount.max) and is not produced by parsing.
        var samples: [Int64] = [0, 1, -1, Int64.max, -Int64.max, 999_999, -1_000_001]
        for _ in 0..<2_000 { samples.append(random.int64(in: -Int64.max...Int64.max)) }
        for _ in 0..<2_000 { samples.append(random.int64(in: -10_000_000...10_000_000)) }
        for micros in samples {
            let amount = Amount(micros: micros)
            #expect(try Amount(parsing: amount.description) == amount, "micros \(micros)")
        }
    }

    @Test("integer literals are whole units")
    func integerLiteralsAreWholeUnits() {
        let fee: Amount = 5
        #expect(fee.micros == 5_000_000)
        #expect(fee == (try? Amount(units: 5)))
    }
}

@Suite("Amount arithmetic")
struct AmountArithmeticTests {
    @Test("adding and subtracting give exact results inside the range")
    func addingAndSubtractingAreExact() throws {
        let a = try Amount(parsing: "0.1")
        let b = try Amount(parsing: "0.2")
        #expect(try a.adding(b) == Amount(parsing: "0.3"))
        #expect(try a.subtracting(b) == Amount(parsing: "-0.1"))
        #expect(try Amount.max.adding(.zero) == .max)
        #expect(try Amount.max.subtracting(.max) == .zero)
    }

    @Test("adding past the top of the range throws overflow")
    func addingPastTheTopThrows() {
        #expect(throws: AmountError.overflow) { try Amount.max.adding(Amount(micros: 1)) }
        #expect(throws: AmountError.overflow) { try Amount(micros: 1).adding(.max) }
        #expect(throws: AmountError.overflow) { try Amount.max.subtracting(Amount(micros: -1)) }
    }

    @Test("subtracting past the bottom of the range throws overflow")
    func subtractingPastTheBottomThrows() {
        #expect(throws: AmountError.overflow) { try Amount(micros: Int64.min).subtracting(Amount(micros: 1)) }
        #expect(throws: AmountError.overflow) { try Amount(micros: -Int64.max).subtracting(Amount(micros: 2)) }
        #expect(throws: AmountError.overflow) { try Amount(micros: Int64.min).adding(Amount(micros: -1)) }
    }

    @Test("whole units that do not fit are refused")
    func unitsOutOfRangeAreRefused() throws {
        #expect(throws: AmountError.outOfRange("9223372036855")) { try Amount(units: 9_223_372_036_855) }
        #expect(try Amount(units: 9_223_372_036_854).micros == 9_223_372_036_854_000_000)
        #expect(try Amount(units: -3).micros == -3_000_000)
    }

    @Test("signs and ordering")
    func signsAndOrdering() {
        #expect(Amount(micros: -1) < .zero)
        #expect(Amount.zero < Amount(micros: 1))
        #expect(Amount(micros: 1).isPositive && !Amount(micros: 1).isNegative)
        #expect(Amount(micros: -1).isNegative && !Amount(micros: -1).isZero)
        #expect(Amount.zero.isZero && !Amount.zero.isPositive && !Amount.zero.isNegative)
    }
}

@Suite("Amount ratios")
struct AmountRatioTests {
    @Test("scaled(by:over:) multiplies exactly and rounds toward zero")
    func scaledRoundsTowardZero() throws {
        let hundred: Amount = 100
        #expect(try hundred.scaled(by: 3, over: 4) == 75)
        #expect(try Amount(micros: 10).scaled(by: 1, over: 3) == Amount(micros: 3))
        #expect(try Amount(micros: -10).scaled(by: 1, over: 3) == Amount(micros: -3))
        #expect(try Amount(micros: 10).scaled(by: -2, over: 3) == Amount(micros: -6))
    }

    @Test("scaled(by:over:) does not overflow in the intermediate product")
    func scaledUsesWideIntermediate() throws {
        #expect(try Amount.max.scaled(by: 3, over: 3) == .max)
        #expect(try Amount.max.scaled(by: 1_000_000, over: 2_000_000) == Amount(micros: Int64.max / 2))
    }

    @Test("scaled(by:over:) throws when the result does not fit or the denominator is zero")
    func scaledThrowsOutsideTheRange() {
        #expect(throws: AmountError.overflow) { try Amount.max.scaled(by: 2, over: 1) }
        #expect(throws: AmountError.overflow) { try Amount(micros: 1).scaled(by: 1, over: 0) }
    }

    @Test("isAtLeast(percent:of:) compares exactly at the boundary")
    func isAtLeastPercentIsExact() throws {
        let budget: Amount = 100
        #expect(Amount(75).isAtLeast(percent: 75, of: budget))
        #expect(!Amount(micros: 74_999_999).isAtLeast(percent: 75, of: budget))
        #expect(try Amount(parsing: "0.000003").isAtLeast(percent: 75, of: Amount(micros: 4)))
        #expect(!Amount(micros: 2).isAtLeast(percent: 75, of: Amount(micros: 4)))
        #expect(Amount.max.isAtLeast(percent: 100, of: .max))
        #expect(Amount.zero.isAtLeast(percent: 0, of: budget))
    }

    @Test("basisPoints(of:) rounds down and is zero for a whole that is not positive")
    func basisPointsRoundDown() throws {
        #expect(try Amount(parsing: "7.65").basisPoints(of: 10) == 7650)
        #expect(Amount(micros: 1).basisPoints(of: 3) == 0)
        #expect(Amount(2).basisPoints(of: 3) == 6666)
        #expect(Amount(5).basisPoints(of: .zero) == 0)
        #expect(Amount(5).basisPoints(of: Amount(-5)) == 0)
        #expect(Amount.max.basisPoints(of: Amount(micros: 1)) == Int64.max)
    }
}

@Suite("Amount JSON coding")
struct AmountCodingTests {
    struct Body: Codable, Equatable {
        var amount: Amount
    }

    @Test("decodes from a JSON string")
    func decodesFromString() throws {
        let body = try JSONDecoder().decode(Body.self, from: Data(#"{"amount":"12.5"}"#.utf8))
        #expect(body.amount.micros == 12_500_000)
    }

    @Test("encodes as a JSON string with six places")
    func encodesAsString() throws {
        let data = try JSONEncoder().encode(Body(amount: Amount(micros: -400)))
        #expect(String(decoding: data, as: UTF8.self) == #"{"amount":"-0.000400"}"#)
        #expect(try JSONDecoder().decode(Body.self, from: data) == Body(amount: Amount(micros: -400)))
    }

    @Test("refuses a JSON number with an error that says to use a string", arguments: ["12.5", "12", "1e5"])
    func refusesJSONNumbers(number: String) {
        let data = Data(#"{"amount":\#(number)}"#.utf8)
        do {
            _ = try JSONDecoder().decode(Body.self, from: data)
            Issue.record("a JSON number \(number) was accepted as an amount")
        } catch DecodingError.typeMismatch(_, let context) {
            #expect(context.debugDescription.hasPrefix(Amount.decodingErrorPrefix))
            #expect(context.debugDescription.contains("decimal strings"))
            #expect(context.codingPath.map(\.stringValue) == ["amount"])
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("refuses a malformed string with the parsing error as the reason")
    func refusesMalformedStrings() {
        let data = Data(#"{"amount":"0.0000001"}"#.utf8)
        do {
            _ = try JSONDecoder().decode(Body.self, from: data)
            Issue.record("a too precise amount was accepted")
        } catch DecodingError.dataCorrupted(let context) {
            #expect(
                context.debugDescription
                    == Amount.decodingErrorPrefix + AmountError.tooPrecise("0.0000001").description)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
