import Testing

@testable import SafeguardsCore

@Suite("RFC 3339 parsing")
struct TimestampParsingTests {
    @Test func formattedTimesReadBack() {
        for millis: Int64 in [0, 1_767_225_600_123, 951_782_400_000, -86_400_001, 253_402_300_799_999] {
            let time = Timestamp(millisecondsSince1970: millis)
            #expect(ISO8601.parse(ISO8601.format(time)) == time, "\(ISO8601.format(time))")
        }
    }

    @Test func offsetsAndFractionsNameTheSameInstant() {
        let utc = ISO8601.parse("2026-12-02T18:30:00Z")
        #expect(utc == Timestamp(millisecondsSince1970: 1_796_236_200_000))
        #expect(ISO8601.parse("2026-12-02T19:30:00+01:00") == utc)
        #expect(ISO8601.parse("2026-12-02t13:00:00-05:30") == utc)
        #expect(ISO8601.parse("2026-12-02T18:30:00.5Z")?.millisecondsSince1970 == 1_796_236_200_500)
        #expect(ISO8601.parse("2026-12-02T18:30:00.123999Z")?.millisecondsSince1970 == 1_796_236_200_123)
    }

    @Test(arguments: [
        "", "yesterday", "2026-12-02", "2026-12-02T18:30:00", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-12-02T24:00:00Z", "2026-12-02T18:60:00Z", "2026-12-02T18:30:60Z", "2026-12-02T18:30:00.Z",
        "2026-12-02T18:30:00+1:00", "2026-12-02T18:30:00Z ", "+2026-12-02T18:30:00Z", "2026-12-02T18:30:00+25:00",
    ])
    func malformedTimesAreRefused(_ text: String) {
        #expect(ISO8601.parse(text) == nil)
    }
}
