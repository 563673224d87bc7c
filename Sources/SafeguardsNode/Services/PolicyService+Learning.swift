import Foundation
import Logging
import SafeguardsAPI
import SafeguardsCore
import SafeguardsPolicies
import SafeguardsStore

/// The learning policies: usage prediction and the reinforcement-learning optimizer. Both set
/// the agents' budgets from the node's recorded use, so a pool takes one of them.
extension PolicyService {
    /// Installs a learning policy of `kind` into `entry`; false when `kind` is not one of them.
    static func installLearning(kind: String, json: Data, decoder: JSONDecoder, into entry: inout PoolPolicies) throws -> Bool {
        switch kind {
        case "usage_prediction":
            let body = try decoder.decode(UsagePredictionBody.self, from: json)
            guard entry.reinforcementLearning == nil else {
                throw PolicyError("the pool has a reinforcement_learning policy; both set the agents' budgets, so a pool takes one")
            }
            var settings = UsagePatternSettings()
            if let value = body.learningPeriodDays { settings.learningPeriodDays = value }
            if let value = body.timeBucketMinutes { settings.timeBucketMinutes = value }
            if let value = body.minDataPoints { settings.minDataPoints = value }
            if let value = body.predictionConfidence { settings.predictionConfidence = try Ratio(parsing: value.text) }
            if let value = body.timeZone { settings.timeZone = value }
            let policy = PredictiveBudgeting(
                settings: settings, safetyMargin: try Ratio(parsing: body.safetyMargin.text),
                windowHours: body.predictionWindowHours, updateInterval: .seconds(body.updateIntervalSeconds))
            try policy.validate()
            entry.usagePrediction = (policy, body)
            return true
        case "reinforcement_learning":
            let body = try decoder.decode(ReinforcementLearningBody.self, from: json)
            guard entry.usagePrediction == nil else {
                throw PolicyError("the pool has a usage_prediction policy; both set the agents' budgets, so a pool takes one")
            }
            func number(_ text: RatioText) throws -> Double { Double(try Ratio(parsing: text.text).basisPoints) / 10_000 }
            let reward = body.reward ?? RewardWeightsBody()
            var configuration = BudgetOptimizer.Configuration(
                learningRate: try number(body.learningRate), discountFactor: try number(body.discountFactor),
                explorationRate: try number(body.explorationRate),
                maxBudgetChange: try Ratio(parsing: body.maxBudgetChangePercentage.text), trainingEpisodes: body.trainingEpisodes,
                reward: RewardWeights(
                    utilization: try number(reward.utilization), exhaustionPenalty: try number(reward.exhaustionPenalty),
                    completedTasks: try number(reward.completedTasks), stabilityPenalty: try number(reward.stabilityPenalty)))
            if let names = body.stateFeatures { configuration.features = try BudgetOptimizer.StateFeature.parse(names) }
            var settings = AllowanceOptimizer.Settings(optimizer: configuration, updateInterval: .seconds(body.updateIntervalSeconds))
            if let value = body.learningPeriodDays { settings.learningPeriodDays = value }
            if let value = body.minDataPoints { settings.minDataPoints = value }
            if let value = body.seed { settings.seed = value }
            if let value = body.timeZone { settings.timeZone = value }
            try settings.validate()
            entry.reinforcementLearning = (settings, body)
            return true
        default:
            return false
        }
    }

    /// Each agent's uses since `since`, from the journal.
    private func uses(of agents: [AgentUsage], since: Timestamp) -> [AgentID: [(Timestamp, Amount)]]? {
        do {
            var uses: [AgentID: [(Timestamp, Amount)]] = [:]
            for (agent, time, amount) in try store.postedUses(agents: agents.map(\.id), since: since) {
                uses[agent, default: []].append((time, amount))
            }
            return uses
        } catch {
            logger.error("a learning policy cannot read the spending history", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Sets each agent's budget to what it used plus its confident prediction times the margin.
    func runPrediction(_ pool: PoolID, _ policy: PredictiveBudgeting) async {
        let time = now()
        let agents = await agents(of: pool)
        let since = time.advanced(by: .seconds(-policy.settings.learningPeriodDays * 86_400))
        guard let uses = uses(of: agents, since: since) else { return }
        for agent in agents {
            let patterns = UsagePatterns(settings: policy.settings, uses: uses[agent.id] ?? [], now: time)
            do throws(UsagePredictionRefusal) {
                let prediction = try patterns.predict(hours: policy.windowHours, from: time)
                declines.removeValue(forKey: "usage_prediction/\(agent.id)")
                let adjustment = AgentAdjustment(agent: agent.id, proposal: policy.propose(agent: agent, prediction: prediction))
                await applyAgent(pool, adjustment, policy: "usage_prediction", bounded: true)
            } catch {
                let kind = if case .lowConfidence = error { "low_confidence" } else { "insufficient_data" }
                logDecline(pool, agent, policy: "usage_prediction", kind: kind, reason: PredictiveBudgeting.describe(error))
            }
        }
    }

    /// Trains the pool's optimizer on its agents' recorded use, then gives each learned agent
    /// the allowance the learned policy chooses. Training runs off this actor (runs are one at a
    /// time already), so the policy API is not held up while it learns.
    func runOptimizer(_ pool: PoolID, _ settings: AllowanceOptimizer.Settings) async {
        let time = now()
        let agents = await agents(of: pool)
        let since = time.advanced(by: .seconds(-settings.learningPeriodDays * 86_400))
        guard let uses = uses(of: agents, since: since) else { return }
        let histories = agents.map { AllowanceOptimizer.History(agent: $0, uses: uses[$0.id] ?? []) }
        let optimizer = await Task.detached(priority: .utility) {
            var optimizer = AllowanceOptimizer(settings: settings)
            optimizer.train(histories, now: time)
            return optimizer
        }.value
        optimizers[pool] = optimizer
        let given = lastAllowances(pool: pool, agents: agents.map(\.id))
        let lastStepStart = time.advanced(by: settings.updateInterval * -1)
        for agent in agents {
            let lastStep = Amount.clampedSum((uses[agent.id] ?? []).lazy.filter { $0.0 >= lastStepStart }.map(\.1))
            guard
                let move = optimizer.move(
                    agent: agent, previousAllowance: given[agent.id], lastStepUse: lastStep,
                    now: time)
            else {
                logDecline(
                    pool, agent, policy: "reinforcement_learning", kind: "insufficient_data",
                    reason: "too little history to learn from: fewer than \(settings.minDataPoints) uses in \(settings.learningPeriodDays) days")
                continue
            }
            declines.removeValue(forKey: "reinforcement_learning/\(agent.id)")
            let applied = await applyAgent(
                pool, AgentAdjustment(agent: agent.id, proposal: move.proposal), policy: "reinforcement_learning", bounded: true)
            if let applied {
                allowances[agent.id] = (try? applied.newValue.subtracting(agent.used)) ?? move.allowance
            } else if move.proposal.newValue == move.proposal.oldValue {
                allowances[agent.id] = move.allowance
            }
        }
    }

    /// The allowance the optimizer last gave each of `agents`: remembered, or read back (once,
    /// after a restart) from its last applied decision: budget minus what the agent had used then.
    private func lastAllowances(pool: PoolID, agents: [AgentID]) -> [AgentID: Amount] {
        let unknown = Set(agents.filter { allowances[$0] == nil && !recalled.contains($0) })
        if !unknown.isEmpty, let decisions = try? store.decisions(pool: pool) {
            for decision in decisions.reversed() where decision.policy == "reinforcement_learning" && decision.transferID != nil {
                guard let agent = decision.agentID, unknown.contains(agent), let used = decision.inputs["used"].flatMap(Amount.init),
                    let allowance = try? decision.newValue.subtracting(used)
                else { continue }
                allowances[agent] = allowance
            }
            recalled.formUnion(unknown)
        }
        return allowances
    }

    /// Logs why a learning policy left an agent's budget as it is, once for each kind of decline
    /// in a row (not at every run while the figures in the reason drift).
    private func logDecline(_ pool: PoolID, _ agent: AgentUsage, policy: String, kind: String, reason: String) {
        let key = "\(policy)/\(agent.id)"
        guard declines[key] != kind else { return }
        declines[key] = kind
        try? store.logDecision(
            DecisionRecord(
                policy: policy, poolID: pool, agentID: agent.id, oldValue: agent.budget, newValue: agent.budget,
                reason: "fallback to the static budget: \(reason)", at: now()))
    }

    /// `GET /v1/optimizer/policy`: each reinforcement-learning pool's learned policy, readably.
    func optimizerPolicy(pool: PoolID?) async throws(SafeguardsError) -> OptimizerPolicyBody {
        if let pool {
            guard await writer.read({ $0.pools[pool] != nil }) else { throw .notFound("pool \(pool) does not exist") }
            guard policies[pool]?.reinforcementLearning != nil else {
                throw .notFound("pool \(pool) has no reinforcement_learning policy")
            }
        }
        let pools = pool.map { [$0] } ?? policies.keys.sorted().filter { policies[$0]?.reinforcementLearning != nil }
        var bodies: [OptimizerPolicyBody.Pool] = []
        for id in pools {
            guard let (settings, body) = policies[id]?.reinforcementLearning else { continue }
            let optimizer = optimizers[id]
            var learned: [OptimizerPolicyBody.Agent] = []
            for agent in await agents(of: id) {
                guard let baseline = optimizer?.baselines[agent.id] else { continue }
                learned.append(
                    .init(
                        agentID: agent.id.rawValue, priority: agent.priority.rawValue,
                        baseline: Amount(approximately: baseline), allowance: allowances[agent.id],
                        stepsLearned: optimizer?.steps[agent.id] ?? 0))
            }
            let states = (optimizer?.optimizer).map { model in
                model.visitedStates.map { state in
                    let features = BudgetOptimizer.features(of: state)
                    var values: [String: String] = [:]
                    for action in 0..<BudgetOptimizer.actionCount {
                        values[model.label(action)] = String(format: "%.4f", model.table[state][action])
                    }
                    return OptimizerPolicyBody.State(
                        state: state, timeOfDay: features.timeOfDay, day: features.day, priority: features.priority,
                        recentUsage: features.recentUsage, remainingBudget: features.remainingBudget,
                        action: model.label(model.best(state)), values: values)
                }
            }
            bodies.append(
                .init(
                    poolID: id.rawValue, trainedAt: optimizer?.trainedAt?.description,
                    trainingEpisodes: settings.optimizer.trainingEpisodes, updateIntervalSeconds: body.updateIntervalSeconds,
                    maxBudgetChangePercentage: settings.optimizer.maxBudgetChange.description, agents: learned, states: states ?? []))
        }
        return OptimizerPolicyBody(pools: bodies)
    }
}
