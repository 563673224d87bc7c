import SafeguardsCore
import SafeguardsPolicies
import Testing

/// Budget periods as text, and their boundaries in UTC, Europe/Berlin and America/Los_Angeles.
@Suite struct BudgetPeriodTests {
    static func time(_ text: String) -> Timestamp {
        guard let time = ISO8601.parse(text) else { fatalError("bad test time \(text)") }
        return time
    }

    @Test(arguments: ["1m", "90m", "1h", "24h", "1d", "30d", "366d", "3600s", "daily", "weekly", "monthly"])
    func periodTextRoundTrips(_ text: String) throws {
        #expect(try BudgetPeriod(parsing: text).description == text)
    }

    @Test(arguments: ["", "d", "30s", "59s", "0d", "0m", "367d", "1w", "-1d", "1.5h", "+1h", "1 h", "Daily", "none",
        "9999999999999999999d", "99999999999h"])
    func badPeriodsAreRefusedNamingTheField(_ text: String) {
        #expect {
            _ = try BudgetPeriod(parsing: text)
        } throws: { error in
            guard let error = error as? SafeguardsError else { return false }
            return error.code == .invalidRequest && error.message.contains("budget_period")
        }
    }

    @Test func durationLengths() throws {
        #expect(try BudgetPeriod(parsing: "90m").fixedLength == .seconds(5400))
        #expect(try BudgetPeriod(parsing: "30d").fixedLength == .seconds(30 * 86_400))
        #expect(try BudgetPeriod(parsing: "monthly").fixedLength == nil)
    }

    @Test(arguments: ["Mars/Olympus", "", "Europe/Berlin ", "../../etc/passwd", String(repeating: "A", count: 65)])
    func unknownTimeZonesAreRefusedNamingTheField(_ zone: String) {
        #expect {
            _ = try PeriodCalendar(PeriodSetting(period: .daily, timeZone: zone))
        } throws: { error in
            (error as? SafeguardsError)?.message.contains("period_timezone") ?? false
        }
    }

    struct Case: Sendable, CustomStringConvertible {
        var period: BudgetPeriod
        var zone: String
        var instant: String
        var start: String
        var boundary: String
        var description: String { "\(period) \(zone) \(instant)" }
    }

    static let cases: [Case] = [
        // UTC
        Case(period: .daily, zone: "UTC", instant: "2026-12-03T04:10:00Z", start: "2026-12-03T00:00:00Z",
            boundary: "2026-12-04T00:00:00Z"),
        Case(period: .daily, zone: "UTC", instant: "2026-12-03T00:00:00Z", start: "2026-12-03T00:00:00Z",
            boundary: "2026-12-04T00:00:00Z"),
        // 2026-12-03 is a Thursday: the ISO week started on Monday the 30th of November.
        Case(period: .weekly, zone: "UTC", instant: "2026-12-03T04:10:00Z", start: "2026-11-30T00:00:00Z",
            boundary: "2026-12-07T00:00:00Z"),
        Case(period: .weekly, zone: "UTC", instant: "2026-12-06T23:59:59Z", start: "2026-11-30T00:00:00Z",
            boundary: "2026-12-07T00:00:00Z"),
        Case(period: .monthly, zone: "UTC", instant: "2026-12-03T04:10:00Z", start: "2026-12-01T00:00:00Z",
            boundary: "2027-01-01T00:00:00Z"),
        Case(period: .monthly, zone: "UTC", instant: "2028-02-29T12:00:00Z", start: "2028-02-01T00:00:00Z",
            boundary: "2028-03-01T00:00:00Z"),
        // Europe/Berlin: CET (+01:00) until 29 March 2026, CEST (+02:00) until 25 October 2026.
        Case(period: .monthly, zone: "Europe/Berlin", instant: "2026-03-15T12:00:00Z", start: "2026-02-28T23:00:00Z",
            boundary: "2026-03-31T22:00:00Z"),
        Case(period: .monthly, zone: "Europe/Berlin", instant: "2026-10-15T12:00:00Z", start: "2026-09-30T22:00:00Z",
            boundary: "2026-10-31T23:00:00Z"),
        // 23:30 UTC on the last of March is already the 1st of April in Berlin.
        Case(period: .monthly, zone: "Europe/Berlin", instant: "2026-03-31T22:30:00Z", start: "2026-03-31T22:00:00Z",
            boundary: "2026-04-30T22:00:00Z"),
        Case(period: .daily, zone: "Europe/Berlin", instant: "2026-03-29T12:00:00Z", start: "2026-03-28T23:00:00Z",
            boundary: "2026-03-29T22:00:00Z"),
        Case(period: .weekly, zone: "Europe/Berlin", instant: "2026-10-25T12:00:00Z", start: "2026-10-18T22:00:00Z",
            boundary: "2026-10-25T23:00:00Z"),
        // America/Los_Angeles: the spring-forward day (8 March 2026) lasts 23 hours, the fall-back
        // day (1 November 2026) 25.
        Case(period: .daily, zone: "America/Los_Angeles", instant: "2026-03-08T12:00:00Z",
            start: "2026-03-08T08:00:00Z", boundary: "2026-03-09T07:00:00Z"),
        Case(period: .daily, zone: "America/Los_Angeles", instant: "2026-11-01T12:00:00Z",
            start: "2026-11-01T07:00:00Z", boundary: "2026-11-02T08:00:00Z"),
        Case(period: .monthly, zone: "America/Los_Angeles", instant: "2026-12-01T05:00:00Z",
            start: "2026-11-01T07:00:00Z", boundary: "2026-12-01T08:00:00Z"),
    ]

    @Test(arguments: cases)
    func calendarBoundaries(_ item: Case) throws {
        let calendar = try PeriodCalendar(PeriodSetting(period: item.period, timeZone: item.zone))
        let instant = Self.time(item.instant)
        // The anchor plays no part in a calendar period.
        let anchor = Self.time("2020-01-01T00:00:00Z")
        #expect(calendar.periodStart(containing: instant, anchor: anchor) == Self.time(item.start))
        #expect(calendar.boundary(after: instant, anchor: anchor) == Self.time(item.boundary))
    }

    @Test func springForwardDayIs23HoursInLosAngeles() throws {
        let calendar = try PeriodCalendar(PeriodSetting(period: .daily, timeZone: "America/Los_Angeles"))
        let start = calendar.periodStart(containing: Self.time("2026-03-08T20:00:00Z"), anchor: .init(millisecondsSince1970: 0))
        #expect(start.duration(to: calendar.boundary(after: start, anchor: start)) == .seconds(23 * 3600))
    }

    @Test func durationPeriodsAreAnchoredAtTheirStart() throws {
        let calendar = try PeriodCalendar(PeriodSetting(period: try BudgetPeriod(parsing: "1h"), timeZone: "Europe/Berlin"))
        let anchor = Self.time("2026-01-01T00:20:00Z")
        #expect(calendar.periodStart(containing: Self.time("2026-01-01T05:30:00Z"), anchor: anchor)
            == Self.time("2026-01-01T05:20:00Z"))
        #expect(calendar.boundary(after: Self.time("2026-01-01T05:30:00Z"), anchor: anchor) == Self.time("2026-01-01T06:20:00Z"))
        // At a boundary the new period has begun.
        #expect(calendar.periodStart(containing: Self.time("2026-01-01T06:20:00Z"), anchor: anchor)
            == Self.time("2026-01-01T06:20:00Z"))
        // Before the anchor, periods count backwards from it.
        #expect(calendar.periodStart(containing: Self.time("2026-01-01T00:10:00Z"), anchor: anchor)
            == Self.time("2025-12-31T23:20:00Z"))
        // 30 days ignore DST: always 720 hours.
        let month = try PeriodCalendar(PeriodSetting(period: try BudgetPeriod(parsing: "30d"), timeZone: "Europe/Berlin"))
        #expect(month.boundary(after: anchor, anchor: anchor) == anchor.advanced(by: .seconds(30 * 86_400)))
    }

    @Test func planResetsOnceForManyMissedBoundariesPoolsFirst() throws {
        let start = Self.time("2026-01-01T00:00:00Z")
        let daily = PeriodSetting(period: .daily, timeZone: "UTC")
        let periods: [PeriodOwner: PeriodState] = [
            .agent(AgentID(unchecked: "a1")): PeriodState(setting: daily, startedAt: start, spentBase: 0, target: 10),
            .pool(PoolID(unchecked: "p1")): PeriodState(setting: daily, startedAt: start, spentBase: 0, target: 10),
            .agent(AgentID(unchecked: "a2")): PeriodState(setting: nil, startedAt: start, spentBase: 0, target: 10),
        ]
        var plan = PeriodPlan()
        let before = plan.due(in: periods, at: Self.time("2026-01-01T23:59:59Z"))
        #expect(before.resets.isEmpty)
        #expect(before.next == Self.time("2026-01-02T00:00:00Z"))
        // Three boundaries later: one reset each, to the day containing now.
        let after = plan.due(in: periods, at: Self.time("2026-01-04T10:00:00Z"))
        #expect(after.resets.map(\.owner) == [.pool(PoolID(unchecked: "p1")), .agent(AgentID(unchecked: "a1"))])
        #expect(after.resets.allSatisfy { $0.periodStart == Self.time("2026-01-04T00:00:00Z") })
        #expect(after.next == nil)
    }
}
