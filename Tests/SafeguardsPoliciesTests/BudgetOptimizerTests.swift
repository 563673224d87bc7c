import Foundation
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

    /// The node's loop (a move per step, from the allowance before and the last step's use)
    /// replays exactly what the simulator evaluates: the policy applies as it was learned.
    @Test func theNodeLoopAppliesThePolicyAsTheSimulatorLearnedIt() throws {
        var random = SeededRandom(seed: 21)
        let monday = Timestamp(millisecondsSince1970: 1_767_571_200_000)  // 2026-01-05 00:00 UTC
        let steps = Self.trace(days: 42, random: &random)
        let uses = steps.enumerated().map { (monday.advanced(by: .seconds($0.offset * 3600 + 60)), Amount(micros: Int64($0.element.demand * 1_000_000))) }
        let trainedUntil = monday.advanced(by: .seconds(28 * 86_400))
        var optimizer = AllowanceOptimizer(
            settings: .init(optimizer: .init(trainingEpisodes: 150), learningPeriodDays: 28, seed: 5, checkAgainstFixed: false))
        let agent = AgentUsage(id: AgentID(unchecked: "a1"), priority: .high, initialBudget: 0, budget: 0, used: 0)
        optimizer.train([.init(agent: agent, uses: uses)], now: trainedUntil)
        let baseline = try #require(optimizer.baselines[agent.id])
        #expect(optimizer.steps[agent.id] == 28 * 24)

        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let heldOut = UsageTrace.steps(
            uses: uses.filter { $0.0 >= trainedUntil }, start: trainedUntil, count: 14 * 24, width: .seconds(3600), calendar: utc)
        var allowance: Amount?
        var lastUse = baseline * 0.5  // the simulator starts each run at half use
        var exhaustions = 0
        var largest = 0.0
        for (index, step) in heldOut.enumerated() {
            let now = trainedUntil.advanced(by: .seconds(index * 3600))
            let move = try #require(
                optimizer.move(agent: agent, previousAllowance: allowance, lastStepUse: Amount(micros: Int64(lastUse * 1_000_000)), now: now))
            let given = Double(move.allowance.micros) / 1_000_000
            let before = allowance.map { Double($0.micros) / 1_000_000 } ?? baseline
            largest = max(largest, abs(given - before) / before)
            allowance = move.allowance
            if step.demand > given { exhaustions += 1 }
            lastUse = min(step.demand, given)
        }
        let simulated = optimizer.optimizer.evaluate(on: heldOut, baseline: baseline, priority: .high)
        let fixed = optimizer.optimizer.evaluate(on: heldOut, baseline: baseline, priority: .high, learned: false)
        #expect(exhaustions == simulated.exhaustions)
        #expect(exhaustions < fixed.exhaustions, "learned \(exhaustions) vs static \(fixed.exhaustions) exhaustions")
        #expect(largest <= 0.2 + 1e-6)
    }

    /// Whatever it learned, an allowance never moves by more than the configured maximum in a step.
    @Test(arguments: [500, 3000, 10_000])
    func allowancesNeverMoveByMoreThanTheMaximum(_ basisPoints: Int64) throws {
        let maximum = Double(basisPoints) / 10_000
        for seed in 1...5 {
            var random = SeededRandom(seed: UInt64(seed))
            let monday = Timestamp(millisecondsSince1970: 1_767_571_200_000)
            let uses = Self.trace(days: 21, random: &random).enumerated().map {
                (monday.advanced(by: .seconds($0.offset * 3600 + 60)), Amount(micros: Int64($0.element.demand * 1_000_000)))
            }
            var optimizer = AllowanceOptimizer(
                settings: .init(
                    optimizer: .init(explorationRate: 0.3, maxBudgetChange: Ratio(basisPoints: basisPoints), trainingEpisodes: 40),
                    seed: UInt64(seed)))
            let agent = AgentUsage(id: AgentID(unchecked: "a1"), priority: .medium, initialBudget: 0, budget: 0, used: 0)
            let start = monday.advanced(by: .seconds(21 * 86_400))
            optimizer.train([.init(agent: agent, uses: uses)], now: start)
            var allowance: Amount?
            for hour in 0..<(7 * 24) {
                let lastUse = Amount(micros: Int64(Double.random(in: 0...20, using: &random) * 1_000_000))
                let move = try #require(
                    optimizer.move(agent: agent, previousAllowance: allowance, lastStepUse: lastUse, now: start.advanced(by: .seconds(hour * 3600))))
                let before = Double((allowance ?? Amount(micros: Int64((optimizer.baselines[agent.id] ?? 0) * 1_000_000))).micros)
                let after = Double(move.allowance.micros)
                #expect(abs(after - before) <= before * maximum + 2, "seed \(seed): \(before) -> \(after) micros")
                allowance = move.allowance
            }
            // An allowance far outside 5%..100x of a baseline learned anew comes back step by step.
            let baseline = try #require(optimizer.baselines[agent.id])
            for factor in [1000.0, 0.001] {
                let before = Amount(approximately: baseline * factor)
                let move = try #require(optimizer.move(agent: agent, previousAllowance: before, lastStepUse: .zero, now: start))
                let change = abs(Double(move.allowance.micros) - Double(before.micros))
                #expect(change <= Double(before.micros) * maximum + 2, "seed \(seed): \(before) -> \(move.allowance)")
            }
        }
    }

    @Test(arguments: [
        ("learning_rate", AllowanceOptimizer.Settings(optimizer: .init(learningRate: 0))),
        ("discount_factor", AllowanceOptimizer.Settings(optimizer: .init(discountFactor: 1))),
        ("exploration_rate", AllowanceOptimizer.Settings(optimizer: .init(explorationRate: 1.5))),
        ("max_budget_change_percentage", AllowanceOptimizer.Settings(optimizer: .init(maxBudgetChange: Ratio(basisPoints: 0)))),
        ("training_episodes", AllowanceOptimizer.Settings(optimizer: .init(trainingEpisodes: 0))),
        ("update_interval_seconds", AllowanceOptimizer.Settings(updateInterval: .seconds(7000))),
        ("reward weights", AllowanceOptimizer.Settings(optimizer: .init(reward: .init(exhaustionPenalty: -1)))),
        ("time zone", AllowanceOptimizer.Settings(timeZone: "Mars/Olympus")),
    ])
    func badOptimizerSettingsAreRefused(_ named: String, _ settings: AllowanceOptimizer.Settings) {
        #expect {
            try settings.validate()
        } throws: { error in
            (error as? PolicyError)?.message.contains(named) == true
        }
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
                        for remaining in [0.3, 0.6, 1.0, 1.5, 3.0] {
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
