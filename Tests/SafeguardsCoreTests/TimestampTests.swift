@testable import SafeguardsCore
import Testing

@Suite("Timestamp arithmetic")
struct TimestampArithmeticTests {
    let start = Timestamp(millisecondsSince1970: 1_767_225_600_000)

    @Test("advancing moves by whole milliseconds, forward or back")
    func advancingMovesByMilliseconds() {
        #expect(start.advanced(by: .seconds(90)).millisecondsSince1970 == 1_767_225_690_000)
        #expect(start.advanced(by: .milliseconds(-1_500)).millisecondsSince1970 == 1_767_225_598_500)
        #expect(start.advanced(by: .microseconds(1_999)) == Timestamp(millisecondsSince1970: 1_767_225_600_001))
        #expect(start.advanced(by: .zero) == start)
    }

    @Test("advancing saturates at the ends of the range instead of trapping or wrapping")
    func advancingSaturates() {
        let nearTop = Timestamp(millisecondsSince1970: .max - 1)
        let nearBottom = Timestamp(millisecondsSince1970: .min + 1)
        #expect(nearTop.advanced(by: .milliseconds(500)).millisecondsSince1970 == .max)
        #expect(nearBottom.advanced(by: .milliseconds(-500)).millisecondsSince1970 == .min)
        #expect(start.advanced(by: .seconds(Int64.max)).millisecondsSince1970 == .max)
        #expect(start.advanced(by: .seconds(Int64.min)).millisecondsSince1970 == .min)
        // The sub-second part alone overflows here.
        let almostMax = Duration.seconds(Int64.max / 1000) + .milliseconds(900)
        #expect(Timestamp(millisecondsSince1970: 0).advanced(by: almostMax).millisecondsSince1970 == .max)
    }

    @Test("the duration between two times is signed and does not trap at the ends")
    func durationBetweenTimes() {
        let later = start.advanced(by: .milliseconds(1_500))
        #expect(start.duration(to: later) == .milliseconds(1_500))
        #expect(later.duration(to: start) == .milliseconds(-1_500))
        let span = Timestamp(millisecondsSince1970: .min).duration(to: Timestamp(millisecondsSince1970: .max))
        #expect(span == .milliseconds(Int64.max) - .milliseconds(Int64.min))
        #expect(span > .zero)
    }

    @Test("order follows the milliseconds")
    func ordering() {
        #expect(start < start.advanced(by: .milliseconds(1)))
        #expect(!(start < start))
    }
}

@Suite("Timestamp formatting")
struct TimestampFormattingTests {
    @Test(
        "formats as RFC 3339 in UTC with milliseconds",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00.000Z"),
            (1_767_225_600_000, "2026-01-01T00:00:00.000Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (951_827_696_789, "2000-02-29T12:34:56.789Z"),
            (1_772_323_200_000, "2026-03-01T00:00:00.000Z"),
        ]
    )
    func formatsAsRFC3339(milliseconds: Int64, text: String) {
        #expect(Timestamp(millisecondsSince1970: milliseconds).description == text)
    }

    @Test("the ends of the range format without trapping")
    func extremesFormat() {
        let lowest = Timestamp(millisecondsSince1970: .min).description
        let highest = Timestamp(millisecondsSince1970: .max).description
        #expect(lowest.hasPrefix("-") && lowest.hasSuffix("Z"))
        #expect(highest.hasSuffix("Z") && !highest.hasPrefix("-"))
    }

    /// Four-digit years are written in place; every other year field by field. Both spell a time
    /// the same, over the whole range of four-digit years and at its edges.
    @Test func fourDigitYearsAreWrittenAsFieldByField() {
        var random = SeededRandom(seed: 8601)
        // 0000-01-01 and 9999-12-31T23:59:59.999, in milliseconds since 1970.
        let first: Int64 = -62_167_219_200_000
        let last: Int64 = 253_402_300_799_999
        var times = [first, first - 1, last, last + 1, 0, -1, 951_827_696_789]
        times += (0..<2000).map { _ in first + Int64(random.next(below: UInt64(last - first + 1))) }
        for millis in times {
            let time = Timestamp(millisecondsSince1970: millis)
            #expect(ISO8601.format(time) == ISO8601.inParts(ISO8601.CivilTime(time)), "\(millis)")
        }
        #expect(Timestamp(millisecondsSince1970: first).description == "0000-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSince1970: last).description == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp(millisecondsSince1970: last + 1).description == "10000-01-01T00:00:00.000Z")
    }
}
