import Foundation
import SafeguardsCore
import SafeguardsFederation
import Testing

@Suite("Trust level")
struct TrustLevelTests {
    @Test(
        "parses decimal strings exactly",
        arguments: [
            ("0", 0), ("1", 10_000), ("0.8", 8_000), ("0.75", 7_500), ("0.1234", 1_234), ("0.0001", 1),
            ("0.80000", 8_000), ("1.0000", 10_000), ("00.5", 5_000), ("1.000000000", 10_000),
        ]
    )
    func parsesDecimalStrings(text: String, basisPoints: Int) throws {
        #expect(try TrustLevel(parsing: text).basisPoints == basisPoints)
    }

    @Test(
        "refuses text that is not a plain decimal",
        arguments: ["", "-0.5", "+0.5", ".5", "1.", "1e-1", " 0.5", "0.5 ", "0,5", "abc", "0..5", "½"]
    )
    func refusesMalformedText(text: String) {
        #expect(throws: TrustLevelError.malformed(text)) { try TrustLevel(parsing: text) }
    }

    @Test("refuses text it would have to round, and text outside 0...1")
    func refusesImpreciseAndOutOfRangeText() {
        #expect(throws: TrustLevelError.tooPrecise("0.12345")) { try TrustLevel(parsing: "0.12345") }
        for text in ["1.0001", "2", "10", "99999999999999999999"] {
            #expect(throws: TrustLevelError.outOfRange(text)) { try TrustLevel(parsing: text) }
        }
    }

    @Test("converts Doubles to the nearest basis point and refuses values outside 0...1")
    func convertsDoubles() throws {
        #expect(try TrustLevel(0.8).basisPoints == 8_000)
        #expect(try TrustLevel(0.05).basisPoints == 500)
        #expect(try TrustLevel(1.0).basisPoints == 10_000)
        #expect(try TrustLevel(0.0).basisPoints == 0)
        #expect(try TrustLevel(0.123_46).basisPoints == 1_235)
        #expect(try TrustLevel(0.123_44).basisPoints == 1_234)
        for value in [-0.1, 1.000_1, Double.nan, .infinity, -.infinity] {
            #expect(throws: TrustLevelError.self) { try TrustLevel(value) }
        }
    }

    @Test("every basis point survives Double, text and JSON round trips")
    func everyBasisPointRoundTrips() throws {
        for basisPoints in 0...TrustLevel.scale {
            let level = try TrustLevel(basisPoints: basisPoints)
            #expect(try TrustLevel(level.doubleValue) == level)
            #expect(try TrustLevel(parsing: level.description) == level)
        }
        #expect(try TrustLevel(basisPoints: 8_000).description == "0.8000")
        #expect(TrustLevel.full.description == "1.0000")
        #expect(throws: TrustLevelError.self) { try TrustLevel(basisPoints: 10_001) }
        #expect(throws: TrustLevelError.self) { try TrustLevel(basisPoints: -1) }
    }

    @Test("decodes from a JSON number or a decimal string and encodes as a number")
    func jsonCoding() throws {
        let decoder = JSONDecoder()
        #expect(
            try decoder.decode([TrustLevel].self, from: Data("[0.8, \"0.25\", 1]".utf8)).map(\.basisPoints) == [
                8_000, 2_500, 10_000,
            ])
        #expect(throws: DecodingError.self) { try decoder.decode([TrustLevel].self, from: Data("[1.5]".utf8)) }
        #expect(throws: DecodingError.self) { try decoder.decode([TrustLevel].self, from: Data("[\"-1\"]".utf8)) }
        let encoded = try JSONEncoder().encode([TrustLevel(basisPoints: 8_000)])
        #expect(String(decoding: encoded, as: UTF8.self) == "[0.8]")
    }

    @Test("scales an amount exactly, rounding toward zero")
    func scalesAmounts() throws {
        let offer = try Amount(parsing: "2000")
        #expect(try TrustLevel(parsing: "0.8").applied(to: offer) == Amount(parsing: "1600"))
        #expect(try TrustLevel(parsing: "0.3333").applied(to: Amount(micros: 10)) == Amount(micros: 3))
        #expect(try TrustLevel.zero.applied(to: offer) == .zero)
    }
}
