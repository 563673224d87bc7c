import Foundation
import SafeguardsCore

/// A named budget for part of the week: from `start` to `end` (minutes after local midnight) on
/// `days` (0 = Monday ... 6 = Sunday), the days the profile belongs to.
///
/// The rule, as a reader of the original `BudgetTimeScheduler` example expects it:
/// - A profile whose end is after its start covers `start..<end` on each of its days.
/// - A profile whose end is before its start runs overnight. On each of its days it covers the
///   early hours `00:00..<end` and the late hours from `start` to midnight, and its late hours
///   carry on into the next morning up to `end`. So night hours 22:00-09:00 on Monday to Friday
///   cover Monday 00:00-09:00 too, and Friday's night runs on into Saturday morning.
/// - Precedence: the profile whose own day it is applies. A carry-over into the next morning gives
///   way to a profile of that day (Friday's night ends at Saturday 00:00 when a weekend profile
///   lists Saturday); two profiles covering the same minute of their own days are refused.
/// - An end of 23:59 means the end of the day, as the original writes a whole day `00:00-23:59`.
public struct TimeProfile: Sendable, Hashable {
    public var name: String
    public var budget: Amount
    public var start: Int
    public var end: Int
    public var days: Set<Int>

    /// How a profile covers a minute: on one of its own days, or as the carry-over of the
    /// previous day's overnight hours.
    enum Coverage: Sendable, Hashable {
        case ownDay
        case carriedOver
    }

    public init(name: String, budget: Amount, start: Int, end: Int, days: Set<Int>) {
        self.name = name
        self.budget = budget
        self.start = start
        self.end = end
        self.days = days
    }

    /// Parses `"09:00"`, `"22:30"`, and `"24:00"` (the end of the day).
    public static func minutes(_ text: String) throws(PolicyError) -> Int {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]), parts[1].count == 2,
            (0...24).contains(hours), (0..<60).contains(minutes), hours * 60 + minutes <= 1440
        else { throw PolicyError("'\(text)' is not a time of day HH:MM") }
        return hours * 60 + minutes
    }

    /// The end in minutes after midnight, with 23:59 read as the end of the day.
    var effectiveEnd: Int { end == 1439 ? 1440 : end }

    /// Whether the profile runs past midnight.
    var isOvernight: Bool { effectiveEnd < start }

    /// How the profile covers `weekMinute` (0 = Monday 00:00), or `nil` when it does not.
    func coverage(of weekMinute: Int) -> Coverage? {
        let day = weekMinute / 1440
        let minute = weekMinute % 1440
        guard isOvernight else {
            return days.contains(day) && minute >= start && minute < effectiveEnd ? .ownDay : nil
        }
        if days.contains(day) && (minute >= start || minute < effectiveEnd) { return .ownDay }
        if days.contains((day + 6) % 7) && minute < effectiveEnd { return .carriedOver }
        return nil
    }
}

/// A pool's time-of-day schedule in a time zone, after the original `BudgetTimeScheduler`.
/// Local times are read in `timeZone`, so a profile switches at the same wall-clock minute across
/// a daylight-saving change.
public struct TimeProfileSchedule: Sendable, Hashable {
    public var timeZone: String
    public var profiles: [TimeProfile]

    public init(timeZone: String, profiles: [TimeProfile]) {
        self.timeZone = timeZone
        self.profiles = profiles
    }

    /// Refuses an unknown time zone, empty or invalid profiles, duplicate names, and profiles that
    /// cover the same minute of their own days. An overnight profile's carry-over into a day that
    /// another profile lists is not an overlap: that day's profile applies there.
    public func validate() throws(PolicyError) {
        guard TimeZone(identifier: timeZone) != nil else { throw PolicyError("unknown time zone '\(timeZone)'") }
        var owner: [Int: String] = [:]
        var names: Set<String> = []
        for profile in profiles {
            guard !profile.name.isEmpty, names.insert(profile.name).inserted else {
                throw PolicyError("profile names must be present and unique ('\(profile.name)')")
            }
            guard profile.budget >= .zero else { throw PolicyError("profile \(profile.name): budget must be 0 or more") }
            guard !profile.days.isEmpty, profile.days.allSatisfy({ (0...6).contains($0) }) else {
                throw PolicyError("profile \(profile.name): days are 0 (Monday) to 6 (Sunday)")
            }
            guard (0..<1440).contains(profile.start), (0...1440).contains(profile.end), profile.start != profile.end else {
                throw PolicyError("profile \(profile.name): start and end must differ")
            }
            // Only minutes of a profile's own days can clash; a carry-over gives way (see TimeProfile).
            for minute in 0..<10_080 where profile.coverage(of: minute) == .ownDay {
                if let other = owner[minute] {
                    throw PolicyError("profiles \(other) and \(profile.name) overlap (\(Self.describe(minute)))")
                }
                owner[minute] = profile.name
            }
        }
    }

    /// The profile in force at `time`, if any: the one whose own day it is, else the previous
    /// day's overnight profile carrying on into the morning.
    public func active(at time: Timestamp) -> TimeProfile? {
        guard let minute = weekMinute(of: time) else { return nil }
        return profiles.first { $0.coverage(of: minute) == .ownDay }
            ?? profiles.first { $0.coverage(of: minute) == .carriedOver }
    }

    /// Minutes since Monday 00:00 in the schedule's time zone.
    public func weekMinute(of time: Timestamp) -> Int? {
        guard let zone = TimeZone(identifier: timeZone) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return Self.weekMinute(of: time, in: calendar)
    }

    /// Minutes since Monday 00:00 of `time` in `calendar`.
    static func weekMinute(of time: Timestamp, in calendar: Calendar) -> Int? {
        let date = Date(timeIntervalSince1970: Double(time.millisecondsSince1970) / 1000)
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        guard let weekday = parts.weekday, let hour = parts.hour, let minute = parts.minute else { return nil }
        let mondayBased = (weekday + 5) % 7  // Calendar: 1 = Sunday
        return mondayBased * 1440 + hour * 60 + minute
    }

    static func describe(_ weekMinute: Int) -> String {
        let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        let minute = weekMinute % 1440
        return "\(days[weekMinute / 1440]) \(String(format: "%02d:%02d", minute / 60, minute % 60))"
    }

    /// The change to make at `time`: the active profile's budget for the pool, or `nil` when none
    /// is active or the pool already has it.
    public func propose(currentTotal: Amount, at time: Timestamp) -> PolicyProposal? {
        guard let profile = active(at: time), profile.budget != currentTotal else { return nil }
        return PolicyProposal(
            oldValue: currentTotal, newValue: profile.budget, reason: "time profile '\(profile.name)' in force",
            inputs: ["profile": profile.name, "time_zone": timeZone])
    }
}
