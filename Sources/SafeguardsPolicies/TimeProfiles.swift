import Foundation
import SafeguardsCore

/// A named budget for part of the week: from `start` to `end` (minutes after local midnight; an
/// end before the start runs overnight into the next day) on `days` (0 = Monday ... 6 = Sunday,
/// the days the profile starts on).
public struct TimeProfile: Sendable, Hashable {
    public var name: String
    public var budget: Amount
    public var start: Int
    public var end: Int
    public var days: Set<Int>

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

    /// How many minutes the profile lasts from its start.
    var length: Int { end > start ? end - start : 1440 - start + end }

    /// Whether the profile covers `weekMinute` (0 = Monday 00:00).
    func covers(_ weekMinute: Int) -> Bool {
        days.contains { day in ((weekMinute - (day * 1440 + start)) % 10_080 + 10_080) % 10_080 < length }
    }

    /// The minutes of the week (0 = Monday 00:00) this profile covers.
    func weekMinutes() -> [Int] {
        var covered: [Int] = []
        for day in days.sorted() {
            let first = day * 1440 + start
            for offset in 0..<length { covered.append((first + offset) % 10_080) }
        }
        return covered
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
    /// overlap anywhere in the week.
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
            for minute in profile.weekMinutes() {
                if let other = owner[minute] {
                    throw PolicyError("profiles \(other) and \(profile.name) overlap (\(Self.describe(minute)))")
                }
                owner[minute] = profile.name
            }
        }
    }

    /// The profile in force at `time`, if any.
    public func active(at time: Timestamp) -> TimeProfile? {
        guard let minute = weekMinute(of: time) else { return nil }
        return profiles.first { $0.covers(minute) }
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
