import SafeguardsCore
import SafeguardsPolicies
import SafeguardsTestKit

/// Figure 10: whether the learners earn their keep, on seeded synthetic traces (deterministic
/// figures, not timings: a debug build gives the same ones).
/// - `quality.patterns.<trace>.hours_<h>`: predictions of the next `h` hours every 11 hours over
///   the 12 weeks after a 4-week learning period; the mean stated confidence against the share of
///   windows whose use fell in the stated range.
/// - `quality.cost_benefit.document_example`: agent_0's share of 1000 on the original's three
///   operations at each risk tolerance.
/// - `quality.optimizer.<trace>.seed_<n>`: the reinforcement-learning policy as the node applies
///   it (learned, or the fixed allowance it fell back to) against the best fixed budget chosen on
///   the 28 training days, both replayed over the 14 days after them.
enum QualityFigure {
    static func run() throws -> [FigureLine] {
        var lines: [FigureLine] = []
        for trace in SyntheticTrace.allCases {
            let uses = trace.uses(weeks: 16, seed: 1)
            for hours in [24, 168] {
                let calibration = ForecastCalibration.measure(
                    uses: uses, settings: UsagePatternSettings(), hours: hours,
                    first: SyntheticTrace.monday.advanced(by: .seconds(28 * 86_400)), stepHours: 11)
                var line = FigureLine("quality.patterns.\(trace.rawValue).hours_\(hours)")
                line.add("predictions", calibration.predictions)
                line.add("stated", calibration.statedConfidence, decimals: 3)
                line.add("observed", calibration.observedCoverage, decimals: 3)
                line.add("gap_points", (calibration.statedConfidence - calibration.observedCoverage) * 100, decimals: 1)
                lines.append(line)
            }
        }
        lines.append(try costBenefit())
        for trace in [SyntheticTrace.officeHours, .weekly, .bursty] {
            for seed: UInt64 in [1, 2] {
                let comparison = OptimizerComparison.run(trace, seed: seed)
                var line = FigureLine("quality.optimizer.\(trace.rawValue).seed_\(seed)")
                line.add("applied", comparison.applied.reward, decimals: 1)
                line.add("best_fixed", comparison.bestFixed.reward, decimals: 1)
                line.add("policy", comparison.verdict.map { $0.usesLearned ? "learned" : "fixed" } ?? "none")
                line.add("held_out_learned", comparison.verdict?.learnedReward ?? 0, decimals: 1)
                line.add("held_out_fixed", comparison.verdict?.fixedReward ?? 0, decimals: 1)
                line.add("exhaustions", comparison.applied.exhaustions)
                line.add("fixed_exhaustions", comparison.bestFixed.exhaustions)
                lines.append(line)
            }
        }
        return lines
    }

    private static func costBenefit() throws -> FigureLine {
        let agent0 = DocumentExamples.agent0
        let agent1 = DocumentExamples.agent1
        let allocator = DocumentExamples.costBenefitAllocator()
        var line = FigureLine("quality.cost_benefit.document_example")
        for tolerance in [10_000, 7_500, 5_000, 2_500, 0] {
            let risk = Ratio(basisPoints: Int64(tolerance))
            let allocation = try allocator.optimize(agents: [agent0, agent1], total: 1000, minimum: Ratio(basisPoints: 1000), riskTolerance: risk)
            line.add("agent_0_at_\(risk)", allocation[agent0]?.description ?? "none")
        }
        return line
    }
}
