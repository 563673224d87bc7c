/// How often an agent's or a pool's budget returns to its total: a fixed duration (`"1h"`,
/// `"1d"`, `"30d"`, as LiteLLM's `budget_duration`) or a calendar period (`"daily"`, `"weekly"`,
/// `"monthly"`) aligned to local midnight in a time zone.
///
/// Only the text form lives here (the core imports nothing); the calendar arithmetic that finds
/// boundaries is `PeriodCalendar` in SafeguardsPolicies, which may use Foundation's `Calendar`.
public enum BudgetPeriod: Sendable, Hashable, CustomStringConvertible {
    /// Every `count` units, anchored at the owner's `period_started_at`.
    case every(count: Int64, unit: DurationUnit)
    /// From local midnight to the next local midnight (23 or 25 hours on a DST change day).
    case daily
    /// From Monday 00:00 local to the next Monday 00:00 (ISO weeks).
    case weekly
    /// From local midnight on the 1st to local midnight on the 1st of the next month.
    case monthly

    /// The unit of a duration period.
    public enum DurationUnit: String, Sendable, Hashable, CaseIterable {
        case seconds = "s"
        case minutes = "m"
        case hours = "h"
        case days = "d"

        var seconds: Int64 {
            switch self {
            case .seconds: 1
            case .minutes: 60
            case .hours: 3600
            case .days: 86_400
            }
        }
    }

    /// The shortest duration period: a reset per minute already costs a transfer per agent per minute.
    public static let shortest: Int64 = 60
    /// The longest duration period: 366 days, so a yearly budget fits a leap year.
    public static let longest: Int64 = 366 * 86_400

    /// Parses `"<n>s"`, `"<n>m"`, `"<n>h"`, `"<n>d"` (n a positive integer, the whole between
    /// 1 minute and 366 days), `"daily"`, `"weekly"` or `"monthly"`. Throws `invalid_request`
    /// naming `budget_period` otherwise.
    public init(parsing text: String) throws(SafeguardsError) {
        switch text {
        case "daily": self = .daily
        case "weekly": self = .weekly
        case "monthly": self = .monthly
        default:
            guard text.utf8.count <= 12, let last = text.last, let unit = DurationUnit(rawValue: String(last)),
                text.utf8.dropLast().allSatisfy({ $0 >= 48 && $0 <= 57 }), text.utf8.count > 1,
                let count = Int64(text.dropLast()), count > 0
            else {
                throw .invalidRequest(
                    "budget_period must be a duration like \"1h\", \"1d\" or \"30d\" (s, m, h or d), or daily, weekly"
                        + " or monthly; got \"\(text.prefix(40))\"")
            }
            let (seconds, overflow) = count.multipliedReportingOverflow(by: unit.seconds)
            guard !overflow, (Self.shortest...Self.longest).contains(seconds) else {
                throw .invalidRequest("budget_period \(text) must be between 1 minute and 366 days")
            }
            self = .every(count: count, unit: unit)
        }
    }

    /// The text form, as parsed: `"30d"`, `"daily"`.
    public var description: String {
        switch self {
        case .every(let count, let unit): "\(count)\(unit.rawValue)"
        case .daily: "daily"
        case .weekly: "weekly"
        case .monthly: "monthly"
        }
    }

    /// The length of a duration period; `nil` for a calendar period, whose length varies.
    public var fixedLength: Duration? {
        guard case .every(let count, let unit) = self else { return nil }
        return .seconds(count * unit.seconds)
    }
}

/// A budget period and the time zone its calendar boundaries are aligned in.
public struct PeriodSetting: Sendable, Hashable {
    public let period: BudgetPeriod
    /// An IANA time zone id (`"Europe/Berlin"`), `"UTC"` by default. Checked by the node against
    /// the system's zone database before a setting is made; a duration period ignores it.
    public let timeZone: String

    public static let defaultTimeZone = "UTC"

    public init(period: BudgetPeriod, timeZone: String = PeriodSetting.defaultTimeZone) {
        self.period = period
        self.timeZone = timeZone
    }
}
