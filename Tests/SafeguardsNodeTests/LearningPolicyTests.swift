import Foundation
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import SafeguardsTestKit
import Testing

/// Four weeks of recorded use, written into a node's database before the node starts.
enum LearningHistory {
    static let pool = "pool_learning"

    /// Agents `steady` (office hours), `erratic` (15 at random in 30% of the steps) and `newbie`
    /// (five uses), each with a budget of 2000 (3000 for erratic), in a pool of 20000. Returns
    /// what steady spent.
    @discardableResult
    static func seed(dataDirectory: String, now: Timestamp) async throws -> Amount {
        let agents = [
            SyntheticUsage.Agent("steady", budget: 2000) { _, time, _ in SyntheticUsage.officeHours(time) },
            SyntheticUsage.Agent("erratic", budget: 3000) { _, _, random in random.percent(30) ? 15 : .zero },
            SyntheticUsage.Agent("newbie", budget: 2000) { index, _, _ in index >= 330 ? 1 : .zero },
        ]
        let spent = try await SyntheticUsage.record(
            databasePath: (dataDirectory as NSString).appendingPathComponent("safeguards.sqlite"),
            pools: [.init(pool, name: "learning", budget: 20_000, agents: agents)], before: now)
        return spent[AgentID(unchecked: "steady")] ?? .zero
    }

    static func withNode(_ body: @Sendable (SafeguardsClient, Amount) async throws -> Void) async throws {
        let directory = try makeTemporaryDirectory()
        let spent = try await seed(dataDirectory: directory, now: .now())
        try await TestNode.with(dataDirectory: directory, configure: configure) { client, _ in try await body(client, spent) }
    }

    static func configure(_ config: inout NodeConfig) {
        config.policies.tick = .seconds(3600)
        config.policies.coolDown = .zero
    }
}

@Suite("Learning policies on the node's history", .timeLimit(.minutes(5)))
struct LearningPolicyTests {
    @Test func confidentPredictionsSetBudgetsWithTheMarginAndIrregularUsageKeepsItsBudget() async throws {
        try await LearningHistory.withNode { client, steadySpent in
            let settings = ["time_bucket_minutes": "120", "min_data_points": "50", "prediction_confidence": "0.8"]
            _ = try await client.setUsagePrediction(
                pool: LearningHistory.pool,
                UsagePredictionBody(safetyMargin: "1.2", predictionWindowHours: 24, timeBucketMinutes: 120, minDataPoints: 50,
                    predictionConfidence: "0.8"))
            let erraticBefore = try await client.agent("erratic").budget.total
            _ = try await client.applyPolicies(pool: LearningHistory.pool)

            let prediction = try await client.prediction(agent: "steady", hours: 24, settings: settings)
            var truth: Int64 = 0
            let now = Timestamp.now()
            for step in 0..<12 { truth += SyntheticUsage.officeHours(now.advanced(by: .seconds(step * 7200))).micros }
            let error = abs(Double(prediction.predictedBudget.micros - truth)) / Double(truth)
            #expect(error <= 0.1, "predicted \(prediction.predictedBudget), truth \(Amount(micros: truth))")

            let steady = try await client.agent("steady").budget
            #expect(steady.spent == steadySpent)
            let decisions = try await client.decisions(pool: LearningHistory.pool).decisions
            let applied = try #require(decisions.first { $0.policy == "usage_prediction" && $0.agentID == "steady" })
            let predicted = try #require(applied.inputs["predicted_budget"].flatMap(Amount.init))
            // The budget leaves the agent the prediction with its 20% margin, through the ledger.
            #expect(steady.total == (try steadySpent.adding(Amount(micros: predicted.micros * 12 / 10))))
            #expect(applied.newValue == steady.total)
            let transfer = try await client.transfer(try #require(applied.transferID))
            #expect(transfer.state == "posted")
            #expect(transfer.reason.hasPrefix("usage_prediction: predicted"))

            let declined = try #require(decisions.first { $0.policy == "usage_prediction" && $0.agentID == "erratic" })
            #expect(declined.transferID == nil)
            #expect(declined.reason.contains("too irregular"))
            #expect(try await client.agent("erratic").budget.total == erraticBefore)
            #expect(decisions.contains { $0.agentID == "newbie" && $0.reason.contains("too little history") })
            #expect(try await client.ledgerCheck().balanced)
            // Another run declines again, and the log says it once.
            _ = try await client.spend(agent: "erratic", SpendRequest(amount: 15))
            _ = try await client.applyPolicies(pool: LearningHistory.pool)
            let again = try await client.decisions(pool: LearningHistory.pool).decisions
            #expect(again.filter { $0.policy == "usage_prediction" && $0.agentID == "erratic" }.count == 1)
        }
    }

    @Test func theOptimizerLearnsFromTheHistoryAndMovesAllowancesWithinTheMaximum() async throws {
        let directory = try makeTemporaryDirectory()
        let steadySpent = try await LearningHistory.seed(dataDirectory: directory, now: .now())
        let body = ReinforcementLearningBody(
            maxBudgetChangePercentage: "0.3", trainingEpisodes: 100, updateIntervalSeconds: 7200, minDataPoints: 50, seed: 7)
        let (allowance, before): (Amount, Int) = try await TestNode.with(dataDirectory: directory, configure: LearningHistory.configure) { client, _ in
            let policies = try await client.setReinforcementLearning(pool: LearningHistory.pool, body)
            #expect(policies.reinforcementLearning == body)
            let untrained = try await client.optimizerPolicy(pool: LearningHistory.pool)
            #expect(untrained.pools.first?.trainedAt == nil)
            _ = try await client.applyPolicies(pool: LearningHistory.pool)
            // Spending between runs: the next run tops the allowance up again.
            _ = try await client.spend(agent: "steady", SpendRequest(amount: 1))
            _ = try await client.applyPolicies(pool: LearningHistory.pool)

            let learned = try #require(try await client.optimizerPolicy(pool: LearningHistory.pool).pools.first)
            #expect(learned.trainedAt != nil)
            let steady = try #require(learned.agents.first { $0.agentID == "steady" })
            // The baseline is the mean use per step over the 335 recorded steps.
            #expect(abs(steady.baseline.micros - steadySpent.micros / 335) <= 1)
            #expect(!learned.agents.contains { $0.agentID == "newbie" })
            #expect(!learned.states.isEmpty)
            let actions: Set<String> = ["-30%", "-15%", "0%", "+15%", "+30%"]
            #expect(learned.states.allSatisfy { actions.contains($0.action) && Set($0.values.keys) == actions })

            let moves = try await client.decisions(pool: LearningHistory.pool).decisions
                .filter { $0.policy == "reinforcement_learning" && $0.agentID == "steady" && $0.transferID != nil }
            // Two runs asked for (the policy service's first tick may add one on a busy machine).
            try #require(moves.count >= 2)
            try Self.expectAChain(moves, maximum: 0.3)
            let agent = try await client.agent("steady").budget
            #expect(agent.total == moves[0].newValue)
            #expect(try await client.ledgerCheck().balanced)
            let declines = try await client.decisions(pool: LearningHistory.pool).decisions
                .filter { $0.policy == "reinforcement_learning" && $0.agentID == "newbie" }
            #expect(declines.count == 1, "a decline is logged once, not at every run")
            return (try #require(moves[0].inputs["allowance"].flatMap(Amount.init)), moves.count)
        }
        // After a restart the optimizer continues from the allowance it gave, read from the log.
        try await TestNode.with(dataDirectory: directory, configure: LearningHistory.configure) { client, _ in
            _ = try await client.spend(agent: "steady", SpendRequest(amount: 1))
            _ = try await client.applyPolicies(pool: LearningHistory.pool)
            let moves = try await client.decisions(pool: LearningHistory.pool).decisions
                .filter { $0.policy == "reinforcement_learning" && $0.agentID == "steady" && $0.transferID != nil }
            // The first move of the restarted node (its start-up tick's, or the one asked for).
            try #require(moves.count > before)
            let first = moves[moves.count - before - 1]
            #expect(first.inputs["previous_allowance"].flatMap(Double.init) == Double(allowance.micros) / 1_000_000)
            try Self.expectAChain(moves, maximum: 0.3)
        }
    }

    /// Newest first: each move starts from the allowance the one before gave, and changes it by
    /// at most `maximum` of it.
    static func expectAChain(_ moves: [DecisionBody], maximum: Double) throws {
        for move in moves {
            let allowance = try #require(move.inputs["allowance"].flatMap(Double.init))
            let previous = try #require(move.inputs["previous_allowance"].flatMap(Double.init))
            // Both are logged to the micro-unit: the first move's previous allowance is the
            // baseline rounded to the nearest (half a micro-unit), and an allowance is rounded down
            // (under one), so the logged change may pass the limit by up to 1.5 micro-units.
            #expect(abs(allowance - previous) <= previous * maximum + 0.000_002, "\(previous) -> \(allowance)")
        }
        for (newer, older) in zip(moves, moves.dropFirst()) {
            #expect(newer.inputs["previous_allowance"].flatMap(Double.init) == older.inputs["allowance"].flatMap(Double.init))
        }
    }

    @Test func badLearningPoliciesAreRefusedWithTheReason() async throws {
        try await LearningHistory.withNode { client, _ in
            func refused(_ kind: String, _ json: String) async throws -> String {
                let response = try await client.raw(.PUT, "/v1/pools/\(LearningHistory.pool)/policies/\(kind)", body: Array(json.utf8))
                #expect(response.status == 400, "\(json)")
                return String(decoding: response.body, as: UTF8.self)
            }
            let rl = #"{"learning_rate":"0.1","discount_factor":"0.9","exploration_rate":"0.1","training_episodes":10,"update_interval_seconds":3600"#
            #expect(try await refused("reinforcement_learning", rl + #","max_budget_change_percentage":"1.5"}"#).contains("max_budget_change_percentage"))
            #expect(try await refused("reinforcement_learning", rl.replacingOccurrences(of: "3600", with: "1000") + #","max_budget_change_percentage":"0.3"}"#)
                .contains("update_interval_seconds"))
            #expect(try await refused("reinforcement_learning", rl.replacingOccurrences(of: #""0.9""#, with: #""1""#) + #","max_budget_change_percentage":"0.3"}"#)
                .contains("discount_factor"))
            #expect(try await refused("usage_prediction", #"{"safety_margin":"0.8","prediction_window_hours":24,"update_interval_seconds":3600}"#)
                .contains("safety_margin"))
            #expect(try await refused("usage_prediction", #"{"safety_margin":"1.2","prediction_window_hours":0,"update_interval_seconds":3600}"#)
                .contains("prediction_window_hours"))
            _ = try await client.setUsagePrediction(pool: LearningHistory.pool, UsagePredictionBody())
            #expect(try await refused("reinforcement_learning", rl + #","max_budget_change_percentage":"0.3"}"#).contains("a pool takes one"))
            let unknown = try await client.raw(.GET, "/v1/optimizer/policy?pool_id=\(LearningHistory.pool)")
            #expect(unknown.status == 404)
            #expect(try await client.policies(pool: LearningHistory.pool).reinforcementLearning == nil)
            // Once the prediction policy is removed, the pool takes the optimizer.
            let removed = try await client.removePolicy(pool: LearningHistory.pool, kind: "usage_prediction")
            #expect(removed.usagePrediction == nil)
            #expect(try await client.raw(.DELETE, "/v1/pools/\(LearningHistory.pool)/policies/usage_prediction").status == 404)
            let body = try APICoding.decoder().decode(ReinforcementLearningBody.self, from: Data((rl + #","max_budget_change_percentage":"0.3"}"#).utf8))
            #expect(try await client.setReinforcementLearning(pool: LearningHistory.pool, body).reinforcementLearning == body)
        }
    }
}
