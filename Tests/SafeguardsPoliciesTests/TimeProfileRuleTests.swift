import Foundation
import SafeguardsCore
import Testing

@testable import SafeguardsPolicies

/// The original documentation's `BudgetTimeScheduler` example, exactly as written there, and the
/// profile that applies at each instant of a week.
@Suite("Time profiles: the documented four-profile week")
struct TimeProfileRuleTests {
    /// Business hours, evening, night 22:00-09:00 and the weekend 00:00-23:59, as in the document.
    static func documented(_ zone: String, weekend: Bool = true) throws -> TimeProfileSchedule {
        let weekdays: Set<Int> = [0, 1, 2, 3, 4]
        var profiles = [
            TimeProfile(
                name: "business_hours", budget: 5000, start: try TimeProfile.minutes("09:00"),
                end: try TimeProfile.minutes("17:00"), days: weekdays),
            TimeProfile(
                name: "evening_hours", budget: 2000, start: try TimeProfile.minutes("17:00"),
                end: try TimeProfile.minutes("22:00"), days: weekdays),
            TimeProfile(
                name: "night_hours", budget: 500, start: try TimeProfile.minutes("22:00"),
                end: try TimeProfile.minutes("09:00"), days: weekdays),
        ]
        if weekend {
            profiles.append(
                TimeProfile(
                    name: "weekend", budget: 1000, start: try TimeProfile.minutes("00:00"),
                    end: try TimeProfile.minutes("23:59"), days: [5, 6]))
        }
        return TimeProfileSchedule(timeZone: zone, profiles: profiles)
    }

    /// An instant written in UTC (`2026-03-09T16:00:00Z`).
    static func instant(_ text: String) throws -> Timestamp {
        let formatter = ISO8601DateFormatter()
        let date = try #require(formatter.date(from: text), "\(text)")
        return Timestamp(millisecondsSince1970: Int64(date.timeIntervalSince1970 * 1000))
    }

    @Test func theDocumentsExampleIsAcceptedAsWritten() throws {
        try Self.documented("UTC").validate()
        try Self.documented("America/Los_Angeles").validate()
    }

    /// 2026-01-05 is a Monday; in UTC local time and instant are the same.
    @Test(arguments: [
        ("2026-01-05T03:00:00Z", "night_hours"),  // Monday's early hours belong to Monday's night profile
        ("2026-01-05T08:59:00Z", "night_hours"),
        ("2026-01-05T09:00:00Z", "business_hours"),
        ("2026-01-05T17:00:00Z", "evening_hours"),
        ("2026-01-05T22:00:00Z", "night_hours"),
        ("2026-01-09T23:00:00Z", "night_hours"),  // Friday night
        ("2026-01-10T00:00:00Z", "weekend"),  // Friday's night gives way to Saturday's own profile
        ("2026-01-10T03:00:00Z", "weekend"),
        ("2026-01-11T23:00:00Z", "weekend"),
        ("2026-01-11T23:59:00Z", "weekend"),  // 23:59 is the end of the day
        ("2026-01-12T00:00:00Z", "night_hours"),
    ])
    func eachInstantOfAWeekInUTC(instant: String, expected: String) throws {
        let schedule = try Self.documented("UTC")
        #expect(schedule.active(at: try Self.instant(instant))?.name == expected)
    }

    /// Los Angeles: clocks go forward on Sunday 2026-03-08 (UTC-8 to UTC-7) and back on Sunday
    /// 2026-11-01. The instants are in UTC; the profiles switch at the same wall-clock minute.
    @Test(arguments: [
        ("2026-03-02T16:59:00Z", "night_hours"),  // Monday 08:59 PST
        ("2026-03-02T17:00:00Z", "business_hours"),  // Monday 09:00 PST
        ("2026-03-06T11:00:00Z", "night_hours"),  // Friday 03:00 PST
        ("2026-03-07T07:00:00Z", "night_hours"),  // Friday 23:00 PST
        ("2026-03-07T11:00:00Z", "weekend"),  // Saturday 03:00 PST
        ("2026-03-08T11:00:00Z", "weekend"),  // Sunday 04:00 PDT, after the clocks jumped
        ("2026-03-09T06:00:00Z", "weekend"),  // Sunday 23:00 PDT
        ("2026-03-09T10:00:00Z", "night_hours"),  // Monday 03:00 PDT
        ("2026-03-09T15:59:00Z", "night_hours"),  // Monday 08:59 PDT
        ("2026-03-09T16:00:00Z", "business_hours"),  // Monday 09:00 PDT
        ("2026-11-01T08:30:00Z", "weekend"),  // Sunday 01:30 PDT, the first of the two
        ("2026-11-01T09:30:00Z", "weekend"),  // Sunday 01:30 PST, the second
        ("2026-11-02T16:59:00Z", "night_hours"),  // Monday 08:59 PST
        ("2026-11-02T17:00:00Z", "business_hours"),  // Monday 09:00 PST
    ])
    func eachInstantInLosAngelesAcrossDaylightSaving(instant: String, expected: String) throws {
        let schedule = try Self.documented("America/Los_Angeles")
        #expect(schedule.active(at: try Self.instant(instant))?.name == expected)
    }

    @Test func withoutAWeekendProfileFridaysNightRunsIntoSaturdayMorning() throws {
        let schedule = try Self.documented("UTC", weekend: false)
        try schedule.validate()
        #expect(schedule.active(at: try Self.instant("2026-01-10T03:00:00Z"))?.name == "night_hours")
        #expect(schedule.active(at: try Self.instant("2026-01-10T09:00:00Z")) == nil)
        #expect(schedule.active(at: try Self.instant("2026-01-11T03:00:00Z")) == nil)  // Sunday is no night_hours day
    }

    @Test func profilesClaimingTheSameMinuteOfTheirOwnDayAreStillRefused() throws {
        var schedule = try Self.documented("UTC")
        // A Saturday night profile owns Saturday's early and late hours, which the weekend owns too.
        schedule.profiles.append(
            TimeProfile(name: "saturday_night", budget: 1, start: 1320, end: 120, days: [5]))
        #expect(throws: PolicyError.self) { try schedule.validate() }
        do {
            try schedule.validate()
        } catch {
            #expect(error.message.contains("weekend and saturday_night overlap (Saturday 00:00)"))
        }
        // Night hours listing Saturday too overlap with the weekend on Saturday's early hours.
        var nights = try Self.documented("UTC")
        nights.profiles[2].days.insert(5)
        #expect(throws: PolicyError.self) { try nights.validate() }
    }

    @Test func theWholeWeekIsCoveredByExactlyOneProfile() throws {
        let schedule = try Self.documented("UTC")
        for minute in 0..<10_080 {
            let owners = schedule.profiles.filter { $0.coverage(of: minute) == .ownDay }
            #expect(owners.count == 1, "\(TimeProfileSchedule.describe(minute)): \(owners.map(\.name))")
        }
    }
}
