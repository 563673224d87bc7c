import SafeguardsCore
import SafeguardsPolicies
import SafeguardsTestKit
import Testing

@Suite("Budgets from usage predictions")
struct PredictiveBudgetingTests {
    static let agent = AgentUsage(id: AgentID(unchecked: "a1"), priority: .high, initialBudget: 300, budget: 300, used: 100)

    @Test func theBudgetLeavesThePredictionTimesTheMarginOnTopOfWhatWasUsed() {
        let policy = PredictiveBudgeting(safetyMargin: Ratio(basisPoints: 12_000), windowHours: 24)
        let prediction = UsagePrediction(predictedBudget: 50, confidence: Ratio(basisPoints: 9000), dataPoints: 400)
        let proposal = policy.propose(agent: Self.agent, prediction: prediction)
        #expect(proposal.oldValue == 300)
        #expect(proposal.newValue == 160)
        #expect(proposal.inputs["predicted_budget"] == "50.000000")
        #expect(proposal.inputs["safety_margin"] == "1.2")
        #expect(proposal.reason.contains("× 1.2 safety margin"))
    }

    @Test func withTheMarginTheNextDayIsCoveredOnEverySeed() throws {
        let now = UsagePatternTests.monday.advanced(by: .seconds(28 * 86_400))
        let policy = PredictiveBudgeting(safetyMargin: Ratio(basisPoints: 12_000), windowHours: 24)
        var idle = Self.agent
        idle.used = 0
        for seed in 1...20 {
            var random = SeededRandom(seed: UInt64(seed))
            let patterns = UsagePatterns(
                settings: UsagePatternSettings(), uses: UsagePatternTests.uses(noise: 0.1, random: &random), now: now)
            let prediction = try patterns.predict(hours: 24, from: now)
            let budget = Double(policy.propose(agent: idle, prediction: prediction).newValue.micros) / 1_000_000
            let actual = UsagePatternTests.actual(hours: 24, from: now, noise: 0.1, random: &random)
            #expect(budget >= actual, "seed \(seed): budget \(budget) for an actual use of \(actual)")
            #expect(budget <= actual * 1.4, "seed \(seed): budget \(budget) is far above the actual use of \(actual)")
        }
    }

    @Test(arguments: [
        (Ratio(basisPoints: 9000), 24, 3600, "safety_margin"),
        (Ratio(basisPoints: 60_000), 24, 3600, "safety_margin"),
        (Ratio(basisPoints: 12_000), 0, 3600, "prediction_window_hours"),
        (Ratio(basisPoints: 12_000), 24, 10, "update_interval_seconds"),
    ])
    func badSettingsAreRefused(_ margin: Ratio, _ hours: Int, _ interval: Int, _ named: String) {
        let policy = PredictiveBudgeting(safetyMargin: margin, windowHours: hours, updateInterval: .seconds(interval))
        #expect {
            try policy.validate()
        } throws: { error in
            (error as? PolicyError)?.message.contains(named) == true
        }
    }

    @Test func declinesAreExplained() {
        let few = PredictiveBudgeting.describe(.insufficientData(dataPoints: 3, needed: 24))
        #expect(few == "too little history to predict: 3 uses in the learning period, 24 needed")
        let noisy = PredictiveBudgeting.describe(
            .lowConfidence(UsagePrediction(predictedBudget: 1, confidence: Ratio(basisPoints: 4000), dataPoints: 50), threshold: Ratio(basisPoints: 7000)))
        #expect(noisy == "usage too irregular to predict: confidence 0.4 is below 0.7")
    }
}
