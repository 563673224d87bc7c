import Foundation
import SafeguardsCore
import SafeguardsPolicies

/// Seeded synthetic hourly use of the kinds a usage learner must handle, for tests and
/// benchmarks of the learners' quality. Each hour's use is the kind's level times a factor for
/// its day (±25%, one per day) and one for the hour (±30%), one use a minute into each hour.
public enum SyntheticTrace: String, CaseIterable, Sendable {
    /// 5 an hour, every hour.
    case steady
    /// 14 an hour 09-18 on weekdays, 1 otherwise.
    case officeHours = "office_hours"
    /// Busy weekdays (15 in the day, 5 at night), a quieter Saturday, an almost idle Sunday.
    case weekly
    /// 2 an hour, and in 2% of the hours a burst of 20-80 more.
    case bursty
    /// 4 an hour until day 35, then 12.
    case regimeChange = "regime_change"

    /// 2026-01-05 00:00 UTC, a Monday: where traces start.
    public static let monday = Timestamp(millisecondsSince1970: 1_767_571_200_000)
    /// The day the regime-change trace changes.
    public static let changeDay = 35

    /// The trace's uses over `weeks` weeks from ``monday``.
    public func uses(weeks: Int, seed: UInt64) -> [(Timestamp, Amount)] {
        var random = SeededRandom(seed: seed)
        var dayFactor = 1.0
        return (0..<(weeks * 168)).map { hour in
            let hourOfDay = hour % 24
            let day = hour / 24
            let weekday = day % 7  // 0 = Monday
            if hourOfDay == 0 { dayFactor = 1 + 0.25 * Double.random(in: -1...1, using: &random) }
            var level: Double
            switch self {
            case .steady: level = 5
            case .officeHours: level = weekday < 5 && (9..<18).contains(hourOfDay) ? 14 : 1
            case .weekly: level = [10.0, 10, 10, 10, 10, 3, 1][weekday] * ((9..<18).contains(hourOfDay) ? 1.5 : 0.5)
            case .bursty:
                level = 2
                if Double.random(in: 0..<1, using: &random) < 0.02 { level += Double.random(in: 20...80, using: &random) }
            case .regimeChange: level = day < Self.changeDay ? 4 : 12
            }
            let use = level * dayFactor * (1 + 0.3 * Double.random(in: -1...1, using: &random))
            return (Self.monday.advanced(by: .seconds(hour * 3600 + 60)), Amount(approximately: use))
        }
    }
}

/// How well a usage learner's stated confidence matches what happened: predictions made at
/// successive instants of a trace, each from the uses before it, checked against the use that
/// followed.
public struct ForecastCalibration: Sendable, Hashable {
    /// Predictions checked.
    public var predictions: Int
    /// Their mean stated confidence.
    public var statedConfidence: Double
    /// The share whose window's use fell between the stated low and high.
    public var observedCoverage: Double

    /// Predicts the `hours` after every `stepHours` from `first` (the end of the first learning
    /// period) while the window lies within `uses`, with `settings`, and checks each.
    public static func measure(
        uses: [(Timestamp, Amount)], settings: UsagePatternSettings, hours: Int, first: Timestamp, stepHours: Int
    ) -> ForecastCalibration {
        let sorted = uses.sorted { $0.0 < $1.0 }
        guard let last = sorted.last?.0 else { return ForecastCalibration(predictions: 0, statedConfidence: 0, observedCoverage: 0) }
        var predictions = 0
        var stated = 0.0
        var covered = 0
        var now = first
        while now.advanced(by: .seconds(hours * 3600)) <= last {
            let patterns = UsagePatterns(settings: settings, uses: sorted, now: now)
            if let prediction = try? patterns.predict(hours: hours, from: now, allowLowConfidence: true) {
                let end = now.advanced(by: .seconds(hours * 3600))
                let actual = Amount.clampedSum(sorted.lazy.filter { $0.0 >= now && $0.0 < end }.map(\.1))
                predictions += 1
                stated += Double(prediction.confidence.basisPoints) / 10_000
                if actual >= prediction.low && actual <= prediction.high { covered += 1 }
            }
            now = now.advanced(by: .seconds(stepHours * 3600))
        }
        return ForecastCalibration(
            predictions: predictions, statedConfidence: predictions > 0 ? stated / Double(predictions) : 0,
            observedCoverage: predictions > 0 ? Double(covered) / Double(predictions) : 0)
    }
}

/// The reinforcement-learning optimizer against the best fixed budget on a synthetic trace: the
/// optimizer learns from 28 days (checking itself against a fixed allowance on its last quarter,
/// as the node runs it), then the next 14 days are replayed twice: with the policy as the node
/// applies it (learned, or the fixed allowance it fell back to), and with the fixed budget that
/// scored best over the 28 training days.
public struct OptimizerComparison: Sendable {
    public var applied: BudgetOptimizer.Outcome
    public var bestFixed: BudgetOptimizer.Outcome
    /// The best fixed budget per step on the training days.
    public var fixedBudget: Double
    public var verdict: AllowanceOptimizer.Verdict?

    public static func run(_ trace: SyntheticTrace, seed: UInt64, episodes: Int = 300) -> OptimizerComparison {
        let uses = trace.uses(weeks: 6, seed: seed)
        let trainedUntil = SyntheticTrace.monday.advanced(by: .seconds(28 * 86_400))
        var optimizer = AllowanceOptimizer(settings: .init(optimizer: .init(trainingEpisodes: episodes), seed: seed))
        let agent = AgentUsage(id: AgentID(unchecked: "a1"), priority: .high, initialBudget: 0, budget: 0, used: 0)
        optimizer.train([.init(agent: agent, uses: uses)], now: trainedUntil)
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let training = UsageTrace.steps(
            uses: uses.filter { $0.0 < trainedUntil }, start: SyntheticTrace.monday, count: 28 * 24, width: .seconds(3600),
            calendar: utc)
        let heldOut = UsageTrace.steps(
            uses: uses.filter { $0.0 >= trainedUntil }, start: trainedUntil, count: 14 * 24, width: .seconds(3600), calendar: utc)
        let baseline = optimizer.baselines[agent.id] ?? 1
        let fixed = optimizer.optimizer.bestFixedBudget(on: training, baseline: baseline)
        return OptimizerComparison(
            applied: optimizer.replay(agent: agent, trace: heldOut, start: trainedUntil),
            bestFixed: optimizer.optimizer.evaluate(on: heldOut, fixed: fixed), fixedBudget: fixed,
            verdict: optimizer.verdicts[agent.id])
    }
}
