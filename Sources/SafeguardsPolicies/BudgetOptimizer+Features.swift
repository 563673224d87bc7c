import Foundation
import SafeguardsCore

extension BudgetOptimizer {
    /// A state's features in words, as `state(step:priority:recentUse:budgetOverBaseline:)`
    /// discretizes them.
    public struct StateFeatures: Sendable, Hashable {
        public var timeOfDay: String
        public var day: String
        public var priority: String
        public var recentUsage: String
        public var remainingBudget: String
    }

    public static func features(of state: Int) -> StateFeatures {
        var rest = state
        let remaining = rest % 5
        rest /= 5
        let usage = rest % 3
        rest /= 3
        let rank = rest % 3
        rest /= 3
        let day = rest % 2
        let time = min(7, rest / 2)
        return StateFeatures(
            timeOfDay: String(format: "%02d-%02d", time * 3, time * 3 + 3),
            day: day == 1 ? "weekend" : "weekday",
            priority: ["CRITICAL/HIGH", "MEDIUM", "LOW/MINIMAL"][rank],
            recentUsage: ["under 50%", "50-90%", "90% or more"][usage],
            remainingBudget: ["under 0.5x", "0.5-0.8x", "0.8-1.25x", "1.25-2x", "2x or more"][remaining])
    }

    /// An action as the change it makes: `"+15%"`, `"0%"`, `"-30%"`.
    public func label(_ action: Int) -> String {
        let percent = (change(action) * 1000).rounded() / 10
        let text = percent == percent.rounded() ? String(Int(percent)) : String(percent)
        return percent > 0 ? "+\(text)%" : "\(text)%"
    }

    /// The states training visited (any action valued), in index order.
    public var visitedStates: [Int] {
        table.indices.filter { table[$0].contains { $0 != 0 } }
    }
}

/// Recorded uses as the optimizer's steps.
public enum UsageTrace {
    /// The use in each of `count` steps of `width` from `start`, each step labelled with the hour
    /// of day and the weekend of its start in `calendar`. Uses outside the steps are ignored.
    public static func steps(
        uses: [(Timestamp, Amount)], start: Timestamp, count: Int, width: Duration, calendar: Calendar
    ) -> [BudgetOptimizer.Step] {
        let widthMilliseconds = max(1, width.components.seconds * 1000)
        var demand = Array(repeating: 0.0, count: max(0, count))
        for (time, amount) in uses {
            let offset = time.millisecondsSince1970 - start.millisecondsSince1970
            guard offset >= 0 else { continue }
            let index = Int(offset / widthMilliseconds)
            guard index < demand.count else { continue }
            demand[index] += Double(amount.micros) / 1_000_000
        }
        return demand.indices.map { index in
            let time = start.advanced(by: .milliseconds(Int64(index) * widthMilliseconds))
            let (hour, weekend) = hourAndWeekend(time, calendar: calendar)
            return BudgetOptimizer.Step(hourOfDay: hour, weekend: weekend, demand: demand[index])
        }
    }

    /// The hour of day of `time` and whether its day is a Saturday or a Sunday, in `calendar`.
    public static func hourAndWeekend(_ time: Timestamp, calendar: Calendar) -> (hour: Int, weekend: Bool) {
        let date = Date(timeIntervalSince1970: Double(time.millisecondsSince1970) / 1000)
        let parts = calendar.dateComponents([.weekday, .hour], from: date)
        let weekday = parts.weekday ?? 2
        return (parts.hour ?? 0, weekday == 1 || weekday == 7)
    }
}
