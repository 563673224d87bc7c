import SafeguardsCore
import SafeguardsPolicies
import SafeguardsTestKit
import Testing

@Suite("Reinforcement-learning budget optimizer")
struct BudgetOptimizerTests {
    /// Hourly demand with a daily peak and quiet weekends, and noise.
    static func trace(days: Int, random: inout SeededRandom) -> [BudgetOptimizer.Step] {
        (0..<(days * 24)).map { hour in
            let hourOfDay = hour % 24
            let weekend = (hour / 24) % 7 >= 5
            var demand = (9..<18).contains(hourOfDay) ? 14.0 : 4.0
            if weekend { demand *= 0.4 }
            demand *= 1 + 0.15 * Double.random(in: -1...1, using: &random)
            return BudgetOptimizer.Step(hourOfDay: hourOfDay, weekend: weekend, demand: demand)
        }
    }

    @Test func theLearnedPolicyBeatsTheStaticBudgetOnAHeldOutTrace() {
        var random = SeededRandom(seed: 21)
        let training = Self.trace(days: 28, random: &random)
        let heldOut = Self.trace(days: 14, random: &random)
        var optimizer = BudgetOptimizer(configuration: .init(trainingEpisodes: 150))
        let baseline = 8.0  // the static budget: the mean demand, per hour
        optimizer.train(on: training, baseline: baseline, priority: .high, random: &random)
        let learned = optimizer.evaluate(on: heldOut, baseline: baseline, priority: .high)
        let fixed = optimizer.evaluate(on: heldOut, baseline: baseline, priority: .high, learned: false)
        #expect(learned.reward > fixed.reward, "learned \(learned.reward) vs static \(fixed.reward)")
        #expect(learned.exhaustions < fixed.exhaustions, "learned \(learned.exhaustions) vs static \(fixed.exhaustions) exhaustions")
        // Never more than the configured 20% in one step.
        #expect(learned.largestChange <= 0.2 + 1e-9)
    }

    @Test func trainingIsDeterministicForASeed() {
        func train() -> [[Double]] {
            var random = SeededRandom(seed: 8)
            let trace = Self.trace(days: 7, random: &random)
            var optimizer = BudgetOptimizer(configuration: .init(trainingEpisodes: 20))
            optimizer.train(on: trace, baseline: 8, priority: .medium, random: &random)
            return optimizer.table
        }
        #expect(train() == train())
    }

    @Test func statesCoverTheDocumentedFeatures() {
        var seen: Set<Int> = []
        for hour in 0..<24 {
            for weekend in [false, true] {
                for priority in AgentPriority.allCases {
                    for use in [0.1, 0.7, 1.0] {
                        for remaining in [0.5, 1.0, 1.5] {
                            let step = BudgetOptimizer.Step(hourOfDay: hour, weekend: weekend, demand: 1)
                            seen.insert(BudgetOptimizer.state(step: step, priority: priority, recentUse: use, budgetOverBaseline: remaining))
                        }
                    }
                }
            }
        }
        #expect(seen.count == BudgetOptimizer.stateCount)
        #expect(seen.allSatisfy { (0..<BudgetOptimizer.stateCount).contains($0) })
    }
}
