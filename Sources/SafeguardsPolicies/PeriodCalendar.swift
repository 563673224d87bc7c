import Foundation
import SafeguardsCore

/// Where budget periods begin and end: the boundary after an instant and the start of the
/// period containing it. Pure: the instant is passed in, nothing reads a clock.
///
/// - A duration period (`"30d"`) is a fixed number of seconds, anchored at the owner's
///   `period_started_at`: periods start at `anchor + k × length` for every whole `k`. Its time
///   zone plays no part.
/// - A calendar period follows local time in its IANA zone, with the Gregorian calendar:
///   `daily` from local midnight to the next, `weekly` from Monday 00:00 (ISO 8601 weeks:
///   Monday first, the first week holds 4 January), `monthly` from midnight on the 1st. Its
///   anchor is ignored. Across a DST change a day is 23 or 25 hours long (a daily period in
///   `America/Los_Angeles` on the spring-forward day lasts 23 h), and a month one hour shorter
///   or longer. Where a zone changes its clocks at midnight, `Calendar` decides: a local midnight
///   that does not exist starts the day at the first instant that does (01:00), and a midnight
///   that occurs twice starts it at the first of the two.
public struct PeriodCalendar: Sendable {
    public let setting: PeriodSetting
    private let calendar: Calendar

    /// The calendar of `setting`. Throws `invalid_request` naming `period_timezone` for a zone the
    /// system's zone database does not know.
    public init(_ setting: PeriodSetting) throws(SafeguardsError) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try Self.timeZone(setting.timeZone)
        calendar.firstWeekday = 2
        calendar.minimumDaysInFirstWeek = 4
        self.setting = setting
        self.calendar = calendar
    }

    /// Checks an IANA zone id (`"Europe/Berlin"`, `"UTC"`) and returns the zone.
    public static func timeZone(_ identifier: String) throws(SafeguardsError) -> TimeZone {
        guard (1...64).contains(identifier.utf8.count),
            identifier.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }),
            let zone = TimeZone(identifier: identifier)
        else {
            throw .invalidRequest(
                "period_timezone must be an IANA time zone such as \"Europe/Berlin\" or \"UTC\"; got"
                    + " \"\(identifier.prefix(64))\"")
        }
        return zone
    }

    /// The start of the period that contains `instant` (at or before it).
    public func periodStart(containing instant: Timestamp, anchor: Timestamp) -> Timestamp {
        if let length = setting.period.fixedLength {
            let lengthMs = length.components.seconds * 1000
            let offset = Int128(instant.millisecondsSince1970) - Int128(anchor.millisecondsSince1970)
            var periods = offset / Int128(lengthMs)
            if offset < 0, offset % Int128(lengthMs) != 0 { periods -= 1 }
            return Self.clamped(Int128(anchor.millisecondsSince1970) + periods * Int128(lengthMs))
        }
        return interval(containing: instant).start
    }

    /// The first boundary after `instant`: when the period containing it ends.
    public func boundary(after instant: Timestamp, anchor: Timestamp) -> Timestamp {
        if let length = setting.period.fixedLength {
            return periodStart(containing: instant, anchor: anchor).advanced(by: length)
        }
        return interval(containing: instant).end
    }

    private func interval(containing instant: Timestamp) -> (start: Timestamp, end: Timestamp) {
        let component: Calendar.Component
        switch setting.period {
        case .daily, .every: component = .day
        case .weekly: component = .weekOfYear
        case .monthly: component = .month
        }
        let date = Date(timeIntervalSince1970: Double(instant.millisecondsSince1970) / 1000)
        guard let interval = calendar.dateInterval(of: component, for: date) else {
            // Only for dates far outside any budget's life; a day from the instant keeps time moving.
            return (instant, instant.advanced(by: .seconds(86_400)))
        }
        return (Self.timestamp(interval.start), Self.timestamp(interval.end))
    }

    private static func timestamp(_ date: Date) -> Timestamp {
        Timestamp(millisecondsSince1970: Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    private static func clamped(_ millis: Int128) -> Timestamp {
        Timestamp(millisecondsSince1970: Int64(clamping: millis))
    }
}
