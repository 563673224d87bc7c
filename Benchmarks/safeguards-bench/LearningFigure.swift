import Foundation
import SafeguardsCore
import SafeguardsPolicies

/// Figure 9: the learning allocators on one core, the work a node does at each update interval.
/// Four weeks of hourly use (672 uses, a daily peak and quiet weekends, ±15% noise):
/// - `optimizer.train`: Q-learning from an empty table for 1000 episodes over those 672 steps
///   (672,000 updates), as the reinforcement_learning policy does before proposing;
/// - `patterns.predict`: learning the weekly buckets from the 672 uses and predicting 24 hours;
/// - `cost_benefit.optimize`: splitting 100,000 over 20 agents by risk-adjusted benefit.
/// The median of the repetitions, and the fastest.
enum LearningFigure {
    static func run(plan: BenchPlan) throws -> [FigureLine] {
        let repetitions = plan.learningRepetitions
        let monday = Timestamp(millisecondsSince1970: 1_767_571_200_000)
        var random = SeededRandom(seed: 9)
        let uses: [(Timestamp, Amount)] = (0..<(28 * 24)).map { hour in
            let hourOfDay = hour % 24
            var demand = (9..<18).contains(hourOfDay) ? 14.0 : 4.0
            if (hour / 24) % 7 >= 5 { demand *= 0.4 }
            demand *= 1 + 0.15 * Double.random(in: -1...1, using: &random)
            return (monday.advanced(by: .seconds(hour * 3600 + 60)), Amount(micros: Int64(demand * 1_000_000)))
        }
        let now = monday.advanced(by: .seconds(28 * 86_400))
        let agent = AgentUsage(id: AgentID(unchecked: "a1"), priority: .high, initialBudget: 0, budget: 0, used: 0)

        var lines: [FigureLine] = []
        var learnedStates = 0
        var line = measure("learning.optimizer.train", repetitions) {
            var optimizer = AllowanceOptimizer(settings: .init(optimizer: .init(trainingEpisodes: 1000)))
            optimizer.train([.init(agent: agent, uses: uses)], now: now)
            learnedStates = optimizer.optimizer.visitedStates.count
        }
        line.add("episodes", 1000)
        line.add("updates", 1000 * (672 * 3 / 4 - 1))  // trained on the first three quarters
        line.add("states_visited", learnedStates)
        lines.append(line)

        var confidence = ""
        line = measure("learning.patterns.predict", repetitions) {
            let patterns = UsagePatterns(settings: UsagePatternSettings(), uses: uses, now: now)
            confidence = (try? patterns.predict(hours: 24, from: now, allowLowConfidence: true))?.confidence.description ?? "none"
        }
        line.add("uses", uses.count)
        line.add("confidence", confidence)
        lines.append(line)

        var profiles: [AgentID: [OperationProfile]] = [:]
        for index in 0..<20 {
            profiles[AgentID(unchecked: "agent-\(index)")] = [
                OperationProfile(
                    operationType: "work", averageCost: 1, averageBenefit: Amount(micros: Int64(1_000_000 + index * 150_000)),
                    benefitStandardDeviation: Amount(micros: Int64(index * 200_000))),
            ]
        }
        let allocator = CostBenefitAllocator(profiles: profiles)
        var failure: (any Error)?
        line = measure("learning.cost_benefit.optimize", repetitions) {
            do {
                _ = try allocator.optimize(
                    agents: Array(profiles.keys), total: 100_000, minimum: Ratio(basisPoints: 200), riskTolerance: Ratio(basisPoints: 5000))
            } catch { failure = error }
        }
        if let failure { throw BenchFailure("cost-benefit optimize failed: \(failure)") }
        line.add("agents", 20)
        lines.append(line)
        return lines
    }

    private static func measure(_ name: String, _ repetitions: Int, _ body: () -> Void) -> FigureLine {
        let clock = ContinuousClock()
        var samples: [Duration] = []
        for _ in 0..<repetitions {
            let start = clock.now
            body()
            samples.append(clock.now - start)
        }
        samples.sort()
        var line = FigureLine(name)
        line.add(milliseconds: "median_ms", samples[samples.count / 2])
        line.add(milliseconds: "min_ms", samples[0])
        line.add("runs", repetitions)
        return line
    }
}
