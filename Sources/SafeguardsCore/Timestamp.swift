/// A point in wall-clock time, in milliseconds since 1970-01-01 UTC.
///
/// The core never reads a clock: callers pass `now` in, so every state change is reproducible.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSince1970 < rhs.millisecondsSince1970
    }

    /// This time moved by `duration` (saturating at the ends of the range).
    public func advanced(by duration: Duration) -> Timestamp {
        let (seconds, attoseconds) = duration.components
        let millis = seconds.multipliedReportingOverflow(by: 1000)
        // Checked too: near the top of the range the sub-second part alone can overflow.
        let delta = millis.partialValue.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        guard !millis.overflow, !delta.overflow else {
            return Timestamp(millisecondsSince1970: seconds > 0 ? .max : .min)
        }
        let (sum, overflow) = millisecondsSince1970.addingReportingOverflow(delta.partialValue)
        // The sign of `delta`, not of `seconds`: a sub-second duration has `seconds == 0`.
        return Timestamp(millisecondsSince1970: overflow ? (delta.partialValue > 0 ? .max : .min) : sum)
    }

    /// The duration from `self` to `other` (positive when `other` is later).
    public func duration(to other: Timestamp) -> Duration {
        // Subtracted as `Duration`s (128-bit), so times at opposite ends of the range do not trap.
        .milliseconds(other.millisecondsSince1970) - .milliseconds(millisecondsSince1970)
    }

    public var description: String { ISO8601.format(self) }
}

/// Minimal RFC 3339 formatting in UTC without Foundation, so the core stays free of I/O and locale.
public enum ISO8601 {
    /// `2026-11-29T18:41:58.123Z`
    public static func format(_ time: Timestamp) -> String {
        let civil = CivilTime(time)
        guard (0...9999).contains(civil.year) else { return inParts(civil) }
        // Four-digit years, every time an API body shows: the 24 characters written in place,
        // rather than joined from a dozen small strings.
        let template: StaticString = "0000-00-00T00:00:00.000Z"
        return String(unsafeUninitializedCapacity: 24) { text in
            _ = text.initialize(from: UnsafeBufferPointer(start: template.utf8Start, count: 24))
            func put(_ value: Int64, width: Int, at offset: Int) {
                var rest = value
                for index in stride(from: offset + width - 1, through: offset, by: -1) {
                    text[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            put(civil.year, width: 4, at: 0)
            put(civil.month, width: 2, at: 5)
            put(civil.day, width: 2, at: 8)
            put(civil.msOfDay / 3_600_000, width: 2, at: 11)
            put(civil.msOfDay / 60_000 % 60, width: 2, at: 14)
            put(civil.msOfDay / 1000 % 60, width: 2, at: 17)
            put(civil.msOfDay % 1000, width: 3, at: 20)
            return 24
        }
    }

    /// Any year, each field padded on its own (a year before 0 or after 9999 has another width).
    static func inParts(_ civil: CivilTime) -> String {
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let msOfDay = civil.msOfDay
        return "\(pad(civil.year, 4))-\(pad(civil.month, 2))-\(pad(civil.day, 2))T\(pad(msOfDay / 3_600_000, 2)):"
            + "\(pad(msOfDay / 60_000 % 60, 2)):\(pad(msOfDay / 1000 % 60, 2)).\(pad(msOfDay % 1000, 3))Z"
    }

    /// A time's calendar date (proleptic Gregorian) and milliseconds into its day, in UTC.
    struct CivilTime {
        var year: Int64
        var month: Int64
        var day: Int64
        var msOfDay: Int64

        init(_ time: Timestamp) {
            let millis = time.millisecondsSince1970
            // Floor division without `millis - 86_399_999`, which traps near `Int64.min`.
            var days = millis / 86_400_000
            var msOfDay = millis % 86_400_000
            if msOfDay < 0 {
                days -= 1
                msOfDay += 86_400_000
            }
            // Civil-from-days (Howard Hinnant's algorithm).
            days += 719_468
            let era = (days >= 0 ? days : days - 146_096) / 146_097
            let dayOfEra = days - era * 146_097
            let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let monthPrime = (5 * dayOfYear + 2) / 153
            day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
            month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
            year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
            self.msOfDay = msOfDay
        }
    }
}
