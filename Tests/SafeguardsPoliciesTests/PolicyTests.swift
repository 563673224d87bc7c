import Foundation
import SafeguardsCore
import SafeguardsPolicies
import SafeguardsTestKit
import Testing

@Suite("Rate limits over a sliding window")
struct RateLimiterTests {
    static let start = Timestamp(millisecondsSince1970: 1_767_225_600_000)

    @Test("admits exactly max_budget per window at every alignment", arguments: [0, 1, 999, 30_000, 59_999])
    func admitsExactlyTheLimitPerWindow(offsetMilliseconds: Int) {
        var limiter = SlidingWindowLimiter(RateLimit(maxBudget: 100, window: .seconds(60)))
        let base = Self.start.advanced(by: .milliseconds(offsetMilliseconds))
        // 100 admitted in pieces over the first 40 s; the next unit is refused.
        for step in 0..<10 { do { let admitted = limiter.admit(10, at: base.advanced(by: .seconds(step * 4))); #expect(admitted) } }
        do { let admitted = limiter.admit(Amount(micros: 1), at: base.advanced(by: .seconds(40))); #expect(!admitted) }
        // The first 10 leaves the window exactly 60 s after it was spent, not a millisecond before.
        #expect(limiter.retryAfter(10, at: base.advanced(by: .seconds(40))) == .seconds(20))
        #expect(!limiter.check(10, at: base.advanced(by: .milliseconds(59_999))))
        do { let admitted = limiter.admit(10, at: base.advanced(by: .seconds(60))); #expect(admitted) }
        // In any 60 s window, never more than 100.
        #expect(limiter.used(at: base.advanced(by: .seconds(60))) == 100)
    }

    @Test func retryAfterCountsEveryUseThatMustLeave() {
        var limiter = SlidingWindowLimiter(RateLimit(maxBudget: 100, window: .seconds(3600)))
        do { let admitted = limiter.admit(30, at: Self.start); #expect(admitted) }
        do { let admitted = limiter.admit(50, at: Self.start.advanced(by: .seconds(600))); #expect(admitted) }
        do { let admitted = limiter.admit(20, at: Self.start.advanced(by: .seconds(1200))); #expect(admitted) }
        let now = Self.start.advanced(by: .seconds(1800))
        #expect(limiter.retryAfter(Amount(micros: 1), at: now) == .seconds(1800))  // the 30 must leave
        #expect(limiter.retryAfter(40, at: now) == .seconds(2400))  // the 30 and the 50 must leave
        #expect(limiter.retryAfter(101, at: now) == nil)  // never
        #expect(!limiter.check(101, at: now))
        #expect(limiter.retryAfter(0, at: now) == .zero)
    }

    @Test func seededRandomUseNeverExceedsTheLimitInAnyWindow() {
        var random = SeededRandom(seed: 99)
        var limiter = SlidingWindowLimiter(RateLimit(maxBudget: 50, window: .seconds(10)))
        var admitted: [(Timestamp, Amount)] = []
        var time = Self.start
        for _ in 0..<2000 {
            time = time.advanced(by: .milliseconds(Int.random(in: 0..<500, using: &random)))
            let amount = Amount(micros: Int64.random(in: 1...20_000_000, using: &random))
            if limiter.admit(amount, at: time) { admitted.append((time, amount)) }
        }
        for (start, _) in admitted {
            let inWindow = admitted.filter { $0.0 >= start && $0.0 < start.advanced(by: .seconds(10)) }
            #expect(inWindow.reduce(Int64(0)) { $0 + $1.1.micros } <= 50_000_000)
        }
        #expect(admitted.count > 100)
    }
}

@Suite("Adaptive pool sizing")
struct AdaptivePoolSizingTests {
    let policy = AdaptivePoolSizing(
        minPoolBudget: 100, maxPoolBudget: 2000, utilizationTarget: Ratio(basisPoints: 7000),
        growthRate: Ratio(basisPoints: 2000), shrinkRate: Ratio(basisPoints: 1000), minAgentsForAdjustment: 3)

    @Test func growthStopsAtTheMaximum() {
        var usage = PoolUsage(total: 1000, available: 100, used: 900, agentCount: 3)
        var totals: [Amount] = []
        while let proposal = policy.propose(usage) {
            totals.append(proposal.newValue)
            let added = (try? proposal.newValue.subtracting(usage.total)) ?? .zero
            usage.total = proposal.newValue
            usage.available = (try? usage.available.adding(added)) ?? .zero
            usage.used = Ratio(basisPoints: 9000).of(usage.total)  // the agents keep using 90%
            if totals.count > 20 { break }
        }
        #expect(totals == [1200, 1440, 1728, 2000])
    }

    @Test func shrinkingStopsAtTheMinimumAndNeverTakesWhatAgentsHold() {
        var usage = PoolUsage(total: 1000, available: 1000, used: 0, agentCount: 5)
        var steps = 0
        while let proposal = policy.propose(usage), steps < 100 {
            let removed = (try? usage.total.subtracting(proposal.newValue)) ?? .zero
            usage.total = proposal.newValue
            usage.available = (try? usage.available.subtracting(removed)) ?? .zero
            steps += 1
        }
        #expect(usage.total == 100)
        // Agents hold 400 of a 500 pool that is barely used: it shrinks to 400, not below.
        let held = PoolUsage(total: 500, available: 100, used: 10, agentCount: 5)
        #expect(policy.propose(held)?.newValue == 450)
        let tight = PoolUsage(total: 420, available: 20, used: 10, agentCount: 5)
        #expect(policy.propose(tight)?.newValue == 400)
    }

    @Test func tooFewAgentsOrUtilizationOnTargetChangeNothing() {
        #expect(policy.propose(PoolUsage(total: 1000, available: 0, used: 1000, agentCount: 2)) == nil)
        #expect(policy.propose(PoolUsage(total: 1000, available: 300, used: 700, agentCount: 3)) == nil)
    }

    /// Plays `steps` intervals with the agents' use held at `used`; the totals each one set.
    func totals(from total: Amount, used: Amount, policy: AdaptivePoolSizing, steps: Int = 50) -> [Amount] {
        var usage = PoolUsage(total: total, available: (try? total.subtracting(used)) ?? .zero, used: used, agentCount: 3)
        var totals: [Amount] = []
        for _ in 0..<steps {
            guard let proposal = policy.propose(usage) else { break }
            totals.append(proposal.newValue)
            usage.available = (try? proposal.newValue.subtracting(used)) ?? .zero
            usage.total = proposal.newValue
        }
        return totals
    }

    @Test func steadyUseSettlesWithinTheDeadBand() {
        // Use held at 300 of a 348.7 pool (86 %, target 70 %): one step up, then no change.
        let settled = totals(from: Amount("348.7")!, used: 300, policy: policy)
        #expect(settled == [Amount("418.44")!])
        #expect(policy.propose(PoolUsage(total: settled[0], available: Amount("118.44")!, used: 300, agentCount: 3)) == nil)
        // From far below or far above the size on target, the rates bound each step and the pool
        // stops once within 5 % of used / target, whatever the start.
        for start: Amount in [100, 250, 428, 900, 2000] {
            let steps = totals(from: start, used: 300, policy: policy)
            let final = steps.last ?? start
            let onTarget = Amount("428.571428")!
            let gap = final > onTarget ? try! final.subtracting(onTarget) : try! onTarget.subtracting(final)
            #expect(gap <= Ratio(basisPoints: 500).of(final), "\(start): \(steps)")
            // Settled: the walk ended on its own, well before the 50 steps played.
            #expect(steps.count < 20, "\(start): \(steps)")
        }
        // Without a dead band it still settles, on the size on target exactly.
        var exact = policy
        exact.deadBand = Ratio(basisPoints: 0)
        #expect(totals(from: 1000, used: 300, policy: exact).last == Amount("428.571428")!)
    }

    @Test func aPoolOutsideItsBoundsIsBroughtBackAndTheReasonSaysSo() throws {
        // Barely used, yet below min_pool_budget: raised, and said to be raised.
        let raised = try #require(policy.propose(PoolUsage(total: 50, available: 50, used: 0, agentCount: 3)))
        #expect(raised.newValue == 100)
        #expect(raised.reason == "pool below min_pool_budget \(Amount(100)): raised to it")
        // Above max_pool_budget: lowered to it, not by one shrink step.
        let lowered = try #require(policy.propose(PoolUsage(total: 3000, available: 1500, used: 1400, agentCount: 3)))
        #expect(lowered.newValue == 2000)
        #expect(lowered.reason == "pool above max_pool_budget \(Amount(2000)): lowered to it")
        // A shrink stopped by what the agents hold says so.
        let floored = try #require(policy.propose(PoolUsage(total: 420, available: 20, used: 10, agentCount: 5)))
        #expect(floored.reason.hasSuffix("floored at what its agents hold (\(Amount(400)))"), "\(floored.reason)")
    }

    @Test func aDeadBandOfOneOrMoreIsRefused() {
        var wide = policy
        wide.deadBand = Ratio(basisPoints: 10_000)
        #expect(throws: PolicyError.self) { try wide.validate() }
        wide.deadBand = Ratio(basisPoints: 9_999)
        #expect(throws: Never.self) { try wide.validate() }
    }
}

@Suite("Priority-based reallocation")
struct PriorityReallocationTests {
    let policy = PriorityReallocation(
        emergencyThreshold: 5, minBudgetPercentage: Ratio(basisPoints: 1000), reservePercentage: Ratio(basisPoints: 2000))

    static func agent(_ id: String, _ priority: AgentPriority, budget: Amount, used: Amount, initial: Amount = 50)
        -> AgentUsage
    {
        AgentUsage(id: AgentID(unchecked: id), priority: priority, initialBudget: initial, budget: budget, used: used)
    }

    @Test func anEmergencyIsToppedUpFromTheReserveHighestPriorityFirst() {
        let pool = PoolUsage(total: 300, available: 6, used: 0, agentCount: 3)
        let agents = [
            Self.agent("low", .low, budget: 50, used: 49), Self.agent("critical", .critical, budget: 50, used: 48),
            Self.agent("fine", .high, budget: 50, used: 10),
        ]
        let topUps = policy.emergencies(pool: pool, agents: agents)
        // critical needs 3 to reach 5 available, low needs 4; the reserve holds 6.
        #expect(topUps.map(\.agent.rawValue) == ["critical", "low"])
        #expect(topUps.map(\.proposal.newValue) == [53, 53])
    }

    @Test func redistributionKeepsMinimumsFollowsWeightsAndNeverOverdraws() {
        var random = SeededRandom(seed: 5)
        for _ in 0..<500 {
            let priorities = AgentPriority.allCases
            let agents = (0..<Int.random(in: 1...8, using: &random)).map { index in
                let budget = Amount(micros: Int64.random(in: 0...100_000_000, using: &random))
                let used = Amount(micros: Int64.random(in: 0...budget.micros, using: &random))
                return Self.agent(
                    "a\(index)", priorities[Int.random(in: 0..<priorities.count, using: &random)], budget: budget, used: used,
                    initial: Amount(micros: Int64.random(in: 0...100_000_000, using: &random)))
            }
            let poolAvailable = Amount(micros: Int64.random(in: 0...200_000_000, using: &random))
            let held = agents.reduce(Int64(0)) { $0 + $1.budget.micros }
            let pool = PoolUsage(
                total: Amount(micros: poolAvailable.micros + held), available: poolAvailable, used: .zero,
                agentCount: agents.count)
            let adjustments = policy.reallocate(pool: pool, agents: agents)
            let byAgent = Dictionary(uniqueKeysWithValues: adjustments.map { ($0.agent, $0.proposal.newValue) })
            var freeBefore = poolAvailable.micros
            var availableAfter: Int64 = 0
            var weightFloorHolds = true
            for agent in agents {
                freeBefore += agent.available.micros
                let newBudget = byAgent[agent.id] ?? agent.budget
                #expect(newBudget >= agent.used, "a budget went below what the agent used")
                availableAfter += newBudget.micros - agent.used.micros
                let minimum = Ratio(basisPoints: 1000).of(agent.initialBudget)
                if newBudget < minimum && newBudget > agent.used { weightFloorHolds = false }
            }
            #expect(availableAfter <= freeBefore, "more was allocated than exists")
            let reserve = min(freeBefore, Ratio(basisPoints: 2000).of(pool.total).micros)
            #expect(availableAfter <= freeBefore - reserve, "the reserve was given away")
            _ = weightFloorHolds
        }
    }

    @Test func sharesFollowThePriorityWeights() {
        let agents = [
            Self.agent("critical", .critical, budget: 0, used: 0, initial: 0),
            Self.agent("high", .high, budget: 0, used: 0, initial: 0),
            Self.agent("medium", .medium, budget: 0, used: 0, initial: 0),
            Self.agent("low", .low, budget: 0, used: 0, initial: 0),
        ]
        // 750 free, 20% of the 750 total kept back: 600 shared 4:2:1:0.5.
        let pool = PoolUsage(total: 750, available: 750, used: 0, agentCount: 4)
        let shares = policy.reallocate(pool: pool, agents: agents).map { ($0.agent.rawValue, $0.proposal.newValue) }
        #expect(shares.map(\.0) == ["critical", "high", "medium", "low"])
        #expect(shares.map(\.1) == [320, 160, 80, 40])
    }
}

@Suite("Time-of-day profiles")
struct TimeProfileTests {
    static func schedule(_ zone: String = "America/New_York") throws -> TimeProfileSchedule {
        let weekdays: Set<Int> = [0, 1, 2, 3, 4]
        return TimeProfileSchedule(
            timeZone: zone,
            profiles: [
                TimeProfile(name: "business_hours", budget: 5000, start: try TimeProfile.minutes("09:00"),
                    end: try TimeProfile.minutes("17:00"), days: weekdays),
                TimeProfile(name: "evening_hours", budget: 2000, start: try TimeProfile.minutes("17:00"),
                    end: try TimeProfile.minutes("22:00"), days: weekdays),
                // Monday to Thursday nights run into the next morning; Friday night ends where the weekend begins.
                TimeProfile(name: "night_hours", budget: 500, start: try TimeProfile.minutes("22:00"),
                    end: try TimeProfile.minutes("09:00"), days: [0, 1, 2, 3]),
                TimeProfile(name: "friday_night", budget: 500, start: try TimeProfile.minutes("22:00"),
                    end: try TimeProfile.minutes("24:00"), days: [4]),
                TimeProfile(name: "weekend", budget: 1000, start: 0, end: try TimeProfile.minutes("24:00"), days: [5, 6]),
            ])
    }

    /// A wall-clock time in New York as a timestamp.
    static func newYork(_ text: String) -> Timestamp {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "America/New_York")
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate]
        let date = formatter.date(from: text)!
        return Timestamp(millisecondsSince1970: Int64(date.timeIntervalSince1970 * 1000))
    }

    @Test func overnightAndWeekendProfilesSwitchAtTheRightMinuteAcrossDaylightSaving() throws {
        let schedule = try Self.schedule()
        try schedule.validate()
        // 2026-03-08 is the spring-forward Sunday in New York; 2026-03-09 a Monday.
        let cases: [(String, String?)] = [
            ("2026-03-05T21:59:00", "evening_hours"), ("2026-03-05T22:00:00", "night_hours"),
            ("2026-03-06T08:59:00", "night_hours"),  // Thursday night runs into Friday morning
            ("2026-03-06T09:00:00", "business_hours"), ("2026-03-06T22:00:00", "friday_night"),
            ("2026-03-07T00:00:00", "weekend"), ("2026-03-08T03:00:00", "weekend"),  // after the clocks jumped
            ("2026-03-08T23:59:00", "weekend"),
            ("2026-03-09T00:00:00", "night_hours"),  // Monday is a night_hours day: its early hours are covered too
            ("2026-03-09T08:59:00", "night_hours"), ("2026-03-09T09:00:00", "business_hours"),  // first Monday of summer time
            ("2026-03-09T16:59:00", "business_hours"), ("2026-03-09T17:00:00", "evening_hours"),
            ("2026-03-10T08:59:00", "night_hours"),
            ("2026-11-02T08:59:00", "night_hours"), ("2026-11-02T09:00:00", "business_hours"),  // first Monday of winter time
            ("2026-11-03T08:59:00", "night_hours"),
        ]
        for (time, expected) in cases {
            #expect(schedule.active(at: Self.newYork(time))?.name == expected, "\(time)")
        }
    }

    @Test func aSundayNightProfileRunsIntoMondayMorning() throws {
        let schedule = TimeProfileSchedule(
            timeZone: "UTC",
            profiles: [TimeProfile(name: "late", budget: 1, start: try TimeProfile.minutes("22:00"), end: try TimeProfile.minutes("02:00"), days: [6])])
        let monday = Timestamp(millisecondsSince1970: 1_767_571_200_000)  // 2026-01-05 00:00 UTC
        for (hours, expected) in [(-3, nil), (-2, "late"), (0, "late"), (1, "late"), (2, nil), (22, nil)] as [(Int, String?)] {
            #expect(schedule.active(at: monday.advanced(by: .seconds(hours * 3600)))?.name == expected, "\(hours) h")
        }
    }

    @Test func overlappingProfilesAndUnknownZonesAreRefused() throws {
        var schedule = try Self.schedule()
        schedule.profiles.append(
            TimeProfile(name: "lunch", budget: 1, start: try TimeProfile.minutes("12:00"), end: try TimeProfile.minutes("13:00"), days: [2]))
        #expect(throws: PolicyError.self) { try schedule.validate() }
        #expect(throws: PolicyError.self) { try TimeProfileSchedule(timeZone: "Mars/Olympus", profiles: []).validate() }
        #expect(throws: PolicyError.self) { try TimeProfile.minutes("25:00") }
        #expect(try TimeProfile.minutes("24:00") == 1440)
    }

    @Test func aProposalOnlyWhenTheBudgetDiffers() throws {
        let schedule = try Self.schedule()
        let monday = Self.newYork("2026-03-09T10:00:00")
        #expect(schedule.propose(currentTotal: 1000, at: monday)?.newValue == 5000)
        #expect(schedule.propose(currentTotal: 5000, at: monday) == nil)
    }
}

@Suite("Safety rails")
struct SafetyRailsTests {
    @Test func aStepIsLimitedAndACoolDownHoldsChanges() {
        let rails = SafetyRails(maxChangePerStep: Ratio(basisPoints: 1000), coolDown: .seconds(60))
        let now = Timestamp(millisecondsSince1970: 1_000_000)
        let up = rails.bound(PolicyProposal(oldValue: 1000, newValue: 5000, reason: "grow"), lastChange: nil, now: now)
        #expect(up?.newValue == 1100)
        #expect(up?.reason.contains("limited") == true)
        let down = rails.bound(PolicyProposal(oldValue: 1000, newValue: 0, reason: "shrink"), lastChange: nil, now: now)
        #expect(down?.newValue == 900)
        let small = rails.bound(PolicyProposal(oldValue: 1000, newValue: 1050, reason: "grow"), lastChange: nil, now: now)
        #expect(small?.newValue == 1050)
        #expect(rails.bound(PolicyProposal(oldValue: 1000, newValue: 1050, reason: "x"), lastChange: now.advanced(by: .seconds(-59)), now: now) == nil)
        #expect(rails.bound(PolicyProposal(oldValue: 1000, newValue: 1050, reason: "x"), lastChange: now.advanced(by: .seconds(-60)), now: now) != nil)
    }
}

@Suite("Ratios")
struct RatioTests {
    @Test(arguments: [("0.7", 7000), ("1.5", 15_000), ("0", 0), ("0.1234", 1234), ("0.50000", 5000), ("2", 20_000)])
    func decimalsAreReadExactly(_ text: String, _ basisPoints: Int64) throws {
        #expect(try Ratio(parsing: text).basisPoints == basisPoints)
    }

    @Test(arguments: ["-0.5", "-0", "+0.5", "0.12345", "1e-3", "", ".5", "0.5x", "NaN", "1000000"])
    func anythingElseIsRefused(_ text: String) {
        #expect(throws: PolicyError.self) { try Ratio(parsing: text) }
    }
}
