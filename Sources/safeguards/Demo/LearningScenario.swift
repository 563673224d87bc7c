import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit

/// The learning story of `safeguards demo`, on a node whose database holds four weeks of
/// synthetic use (``history``): usage patterns, a confident and a declined prediction, the
/// usage-prediction policy, the reinforcement-learning optimizer, cost-benefit allocation, and
/// the decision log that explains every change.
struct LearningScenario {
    static let analytics = "pool_analytics"
    static let operations = "pool_operations"
    static let learnerSettings = ["time_bucket_minutes": "120", "min_data_points": "50", "prediction_confidence": "0.8"]

    /// analyst and operator work office hours; explorer spends 15 at random in a third of the steps.
    static let history: [SyntheticUsage.Pool] = [
        .init(
            analytics, name: "analytics", budget: 20_000,
            agents: [
                .init("analyst", budget: 2000) { _, time, _ in SyntheticUsage.officeHours(time) },
                .init("explorer", priority: .medium, budget: 3000) { _, _, random in random.percent(33) ? 15 : .zero },
            ]),
        .init(
            operations, name: "operations", budget: 10_000,
            agents: [.init("operator", budget: 2000) { _, time, _ in SyntheticUsage.officeHours(time) }]),
    ]

    let client: SafeguardsClient
    let report: DemoReport

    func play() async throws {
        try await showPatterns()
        try await predict()
        try await applyPredictions()
        try await learnAllowances()
        try await allocateByBenefit()
        try await showDecisions()
    }

    func showPatterns() async throws {
        report.step("Learn analyst's weekly pattern from four weeks of recorded use (2-hour buckets)")
        let patterns = try await client.patterns(agent: "analyst", settings: ["time_bucket_minutes": "120"])
        try expect(patterns.dataPoints > 300, "only \(patterns.dataPoints) uses were learned from")
        for line in LearningTables.patterns(patterns).split(separator: "\n", omittingEmptySubsequences: false) {
            report.note(String(line))
        }
    }

    func predict() async throws {
        report.step("Predict the next 24 hours: confident for analyst, declined for explorer's irregular bursts")
        let prediction = try await client.prediction(agent: "analyst", hours: 24, settings: Self.learnerSettings)
        try expect((Double(prediction.confidence) ?? 0) >= 0.8, "analyst's confidence is only \(prediction.confidence)")
        report.ok("analyst needs \(prediction.predictedBudget) (confidence \(prediction.confidence), \(prediction.dataPoints) uses)")
        let problem = try await expectRefusal("insufficient_data") { () async throws(APIClientError) in
            try await client.prediction(agent: "explorer", hours: 24, settings: Self.learnerSettings)
        }
        report.ok("explorer: 422 \(problem.code): \(problem.detail)")
    }

    func applyPredictions() async throws {
        report.step("Policy usage_prediction on 'analytics': available budget = prediction × 1.2 margin, within the rails")
        _ = try await client.setUsagePrediction(
            pool: Self.analytics,
            UsagePredictionBody(safetyMargin: "1.2", predictionWindowHours: 24, timeBucketMinutes: 120, minDataPoints: 50, predictionConfidence: "0.8"))
        let explorerBefore = try await client.agent("explorer").budget.total
        _ = try await client.applyPolicies(pool: Self.analytics)
        let analyst = try await client.agent("analyst").budget
        let explorer = try await client.agent("explorer").budget
        try expect(explorer.total == explorerBefore, "explorer's budget changed without a confident prediction")
        try expect(analyst.total < 2000, "analyst's budget was not fitted to its prediction")
        report.ok("analyst: budget \(Amount(2000)) -> \(analyst.total), \(analyst.available) available for the next day")
        report.ok("explorer keeps \(explorer.total): the prediction was declined, so the static budget stays")
    }

    func learnAllowances() async throws {
        report.step("Policy reinforcement_learning on 'operations': Q-learning trained on the recorded use, at most 30% per step")
        _ = try await client.setReinforcementLearning(
            pool: Self.operations,
            ReinforcementLearningBody(
                learningRate: "0.1", discountFactor: "0.9", explorationRate: "0.1", maxBudgetChangePercentage: "0.3",
                trainingEpisodes: 300, updateIntervalSeconds: 7200, minDataPoints: 50, seed: 1))
        _ = try await client.applyPolicies(pool: Self.operations)
        let policy = try await client.optimizerPolicy(pool: Self.operations)
        guard let pool = policy.pools.first else { throw DemoFailure("the optimizer shows no pool") }
        try expect(!pool.states.isEmpty && pool.trainedAt != nil, "the optimizer learned nothing")
        var shown = policy
        shown.pools[0].states = Array(pool.states.prefix(6))
        for line in LearningTables.optimizer(shown).split(separator: "\n", omittingEmptySubsequences: false) {
            report.note(String(line))
        }
        report.ok("\(pool.states.count) states learned (6 shown; `safeguards optimizer policy` lists them all)")
    }

    func allocateByBenefit() async throws {
        report.step("Cost-benefit: split 3000 by risk-adjusted benefit; a lower risk tolerance favours the steady agent")
        _ = try await client.registerOperation(
            OperationProfileBody(agentID: "analyst", operationType: "reports", averageCost: 1, averageBenefit: 2, benefitVariability: "0.1"))
        _ = try await client.registerOperation(
            OperationProfileBody(agentID: "explorer", operationType: "research", averageCost: 1, averageBenefit: 3, benefitStddev: 4))
        var table = TextTable([.left("RISK TOLERANCE"), .right("ANALYST"), .right("EXPLORER"), .right("OBJECTIVE")])
        var analystShares: [Amount] = []
        for tolerance in ["0", "0.5", "1"] {
            let result = try await client.optimize(OptimizeRequest(totalBudget: 3000, minAllocationPercentage: "0.1", riskTolerance: RatioText(tolerance)))
            let analyst = result.allocations["analyst"] ?? .zero
            analystShares.append(analyst)
            table.append([tolerance, analyst.description, (result.allocations["explorer"] ?? .zero).description, result.objective])
        }
        report.table(table)
        try expect(analystShares.first! > analystShares.last!, "a lower risk tolerance did not favour the steady agent")
    }

    func showDecisions() async throws {
        report.step("Every automatic change is a ledger transfer with its reason in the decision log")
        let decisions = try await client.decisions().decisions
        var table = TextTable([.left("POLICY"), .left("AGENT"), .right("OLD"), .right("NEW"), .left("TRANSFER"), .left("REASON")])
        for decision in decisions.reversed() {
            let reason = decision.reason.count > 64 ? decision.reason.prefix(63) + "…" : Substring(decision.reason)
            table.append([
                decision.policy, decision.agentID ?? "-", decision.oldValue.description, decision.newValue.description,
                decision.transferID ?? "(none)", String(reason),
            ])
        }
        report.table(table)
        try expect(decisions.contains { $0.policy == "usage_prediction" && $0.transferID != nil }, "no prediction was applied")
        try expect(decisions.contains { $0.policy == "reinforcement_learning" && $0.transferID != nil }, "the optimizer changed nothing")
        let check = try await client.ledgerCheck()
        try expect(check.balanced, "the ledger is not balanced")
        report.ok("ledger balanced: debits equal credits after every policy change")
    }
}
