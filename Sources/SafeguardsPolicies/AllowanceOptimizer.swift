import Foundation
import SafeguardsCore

/// The reinforcement-learning optimizer run on a pool's agents.
///
/// What it controls is each agent's **allowance**: the budget available to the agent when a
/// step (`updateInterval`) begins. At every step the agent's budget is set to what it has used
/// plus the new allowance, which is the last allowance changed by one of the optimizer's actions
/// (at most `max_budget_change_percentage`). That is the simulator's budget-per-step exactly,
/// so the policy learned offline applies as learned.
///
/// **Training** replays each agent's recorded use over `learningPeriodDays`, bucketed into
/// steps, from its first use; an agent's baseline (its static allowance) is its mean use per
/// step. Training starts from an empty table with the configured seed, so the same history
/// gives the same policy.
///
/// **Checked against a fixed budget.** The table learns from the first three quarters of each
/// agent's history; on the last quarter, held out, the learned policy is replayed against the
/// best fixed allowance chosen on the first three quarters. An agent for which the learned policy
/// does not score higher gets the best fixed allowance over its whole history instead (reached
/// within the step limit), and its decisions say so. A fixed budget cannot follow the hour of day
/// or the last step's use; where the use has no such structure (a steady or a bursty agent) the
/// fixed budget tends to win.
public struct AllowanceOptimizer: Sendable {
    public struct Settings: Sendable, Hashable {
        public var optimizer: BudgetOptimizer.Configuration
        public var updateInterval: Duration
        public var learningPeriodDays: Int
        /// Fewer uses than this in the period: the agent is left alone.
        public var minDataPoints: Int
        public var seed: UInt64
        public var timeZone: String
        /// Check the learned policy against the best fixed allowance on held-out history and
        /// fall back to that allowance when it loses (see the type's header). Off, the table
        /// learns from the whole history and is always used.
        public var checkAgainstFixed: Bool

        public init(
            optimizer: BudgetOptimizer.Configuration = .init(), updateInterval: Duration = .seconds(3600),
            learningPeriodDays: Int = 28, minDataPoints: Int = 24, seed: UInt64 = 1, timeZone: String = "UTC",
            checkAgainstFixed: Bool = true
        ) {
            self.optimizer = optimizer
            self.updateInterval = updateInterval
            self.learningPeriodDays = learningPeriodDays
            self.minDataPoints = minDataPoints
            self.seed = seed
            self.timeZone = timeZone
            self.checkAgainstFixed = checkAgainstFixed
        }

        public func validate() throws(PolicyError) {
            let seconds = updateInterval.components.seconds
            guard (900...86_400).contains(seconds), 86_400 % seconds == 0 else {
                throw PolicyError("update_interval_seconds must divide a day and be 900-86400 (900, 1800, 3600...)")
            }
            let configuration = optimizer
            guard configuration.learningRate > 0, configuration.learningRate <= 1 else { throw PolicyError("learning_rate must be in (0, 1]") }
            guard configuration.discountFactor >= 0, configuration.discountFactor < 1 else {
                throw PolicyError("discount_factor must be in [0, 1)")
            }
            guard configuration.explorationRate >= 0, configuration.explorationRate <= 1 else {
                throw PolicyError("exploration_rate must be in [0, 1]")
            }
            guard (1...10_000).contains(configuration.maxBudgetChange.basisPoints) else {
                throw PolicyError("max_budget_change_percentage must be above 0 and at most 1")
            }
            guard (1...100_000).contains(configuration.trainingEpisodes) else { throw PolicyError("training_episodes must be 1-100000") }
            let weights = configuration.reward
            guard [weights.utilization, weights.exhaustionPenalty, weights.completedTasks, weights.stabilityPenalty]
                .allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1_000_000 })
            else { throw PolicyError("reward weights must be between 0 and 1000000") }
            guard (1...365).contains(learningPeriodDays) else { throw PolicyError("learning_period_days must be 1-365") }
            guard minDataPoints >= 1 else { throw PolicyError("min_data_points must be at least 1") }
            guard TimeZone(identifier: timeZone) != nil else { throw PolicyError("unknown time zone '\(timeZone)'") }
        }
    }

    /// One agent and its uses (time, amount) over the learning period.
    public struct History: Sendable {
        public var agent: AgentUsage
        public var uses: [(Timestamp, Amount)]
        public init(agent: AgentUsage, uses: [(Timestamp, Amount)]) {
            self.agent = agent
            self.uses = uses
        }
    }

    /// What the learned policy does for one agent at one step.
    public struct Move: Sendable {
        public var proposal: PolicyProposal
        public var allowance: Amount
        public var state: Int
        public var action: Int
        /// False when the agent gets the best fixed allowance instead of the learned policy.
        public var learned: Bool
    }

    /// How the learned policy did for one agent against the best fixed allowance, on the last
    /// quarter of its history held out from training.
    public struct Verdict: Sendable, Hashable {
        public var learnedReward: Double
        public var fixedReward: Double
        /// The best fixed allowance over the whole history: what the agent gets when the learned
        /// policy does not win.
        public var fixedAllowance: Double
        public var heldOutSteps: Int
        public var usesLearned: Bool { learnedReward > fixedReward }
    }

    public let settings: Settings
    public private(set) var optimizer: BudgetOptimizer
    /// Each trained agent's static allowance: its mean use per step.
    public private(set) var baselines: [AgentID: Double] = [:]
    /// Steps replayed per episode, by agent.
    public private(set) var steps: [AgentID: Int] = [:]
    public private(set) var trainedAt: Timestamp?
    /// Each trained agent's check against a fixed allowance (none when the check is off).
    public private(set) var verdicts: [AgentID: Verdict] = [:]
    let calendar: Calendar

    public init(settings: Settings) {
        self.settings = settings
        self.optimizer = BudgetOptimizer(configuration: settings.optimizer)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: settings.timeZone) ?? TimeZone(identifier: "UTC")!
        self.calendar = calendar
    }

    var width: Int64 { settings.updateInterval.components.seconds * 1000 }

    /// The start of the step that contains `time`.
    public func stepStart(_ time: Timestamp) -> Timestamp {
        Timestamp(millisecondsSince1970: time.millisecondsSince1970 - time.millisecondsSince1970 % width)
    }

    /// Learns anew from the agents' histories up to the step that contains `now`; agents with
    /// fewer than `minDataPoints` uses are not learned from (and get no moves).
    public mutating func train(_ histories: [History], now: Timestamp) {
        let end = stepStart(now)
        let periodStart = end.advanced(by: .seconds(-settings.learningPeriodDays * 86_400))
        var episodes: [BudgetOptimizer.Episode] = []
        var checks: [(AgentID, BudgetOptimizer.Episode, split: Int)] = []
        baselines = [:]
        steps = [:]
        verdicts = [:]
        for history in histories.sorted(by: { $0.agent.id < $1.agent.id }) {
            let uses = history.uses.filter { $0.0 >= periodStart && $0.0 < end }
            guard uses.count >= settings.minDataPoints, let first = uses.map(\.0).min() else { continue }
            let start = stepStart(first)
            let count = Int((end.millisecondsSince1970 - start.millisecondsSince1970) / width)
            let trace = UsageTrace.steps(uses: uses, start: start, count: count, width: settings.updateInterval, calendar: calendar)
            let baseline = trace.reduce(0) { $0 + $1.demand } / Double(max(1, trace.count))
            guard baseline > 0 else { continue }
            baselines[history.agent.id] = baseline
            steps[history.agent.id] = trace.count
            let episode = BudgetOptimizer.Episode(trace: trace, baseline: baseline, priority: history.agent.priority)
            guard settings.checkAgainstFixed else {
                episodes.append(episode)
                continue
            }
            let split = trace.count * 3 / 4
            episodes.append(.init(trace: Array(trace[..<split]), baseline: baseline, priority: history.agent.priority))
            checks.append((history.agent.id, episode, split))
        }
        var random = SeededRandom(seed: settings.seed)
        optimizer = BudgetOptimizer(configuration: settings.optimizer)
        optimizer.train(on: episodes, random: &random)
        for (agent, episode, split) in checks {
            let heldOut = Array(episode.trace[split...])
            let fixed = optimizer.bestFixedBudget(on: Array(episode.trace[..<split]), baseline: episode.baseline)
            verdicts[agent] = Verdict(
                learnedReward: optimizer.evaluate(on: heldOut, baseline: episode.baseline, priority: episode.priority).reward,
                fixedReward: optimizer.evaluate(on: heldOut, fixed: fixed).reward,
                fixedAllowance: optimizer.bestFixedBudget(on: episode.trace, baseline: episode.baseline),
                heldOutSteps: heldOut.count)
        }
        trainedAt = now
    }

    /// The learned move for `agent` at `now`: its allowance before (`nil` or zero: its baseline)
    /// and the use in the last step decide the state. `nil` for an agent training did not learn.
    public func move(agent: AgentUsage, previousAllowance: Amount?, lastStepUse: Amount, now: Timestamp) -> Move? {
        guard let baseline = baselines[agent.id] else { return nil }
        let previous = previousAllowance.flatMap { $0.isPositive ? Double($0.micros) / 1_000_000 : nil } ?? baseline
        let used = Double(lastStepUse.micros) / 1_000_000
        let (hour, weekend) = UsageTrace.hourAndWeekend(now, calendar: calendar)
        let state = optimizer.state(
            step: .init(hourOfDay: hour, weekend: weekend, demand: 0), priority: agent.priority,
            recentUse: previous > 0 ? min(used, previous) / previous : 0, budgetOverBaseline: previous / baseline)
        let limit = Double(settings.optimizer.maxBudgetChange.basisPoints) / 10_000
        if let verdict = verdicts[agent.id], !verdict.usesLearned {
            // The fixed allowance, reached within the step limit.
            let next = min(previous * (1 + limit), max(previous * (1 - limit), verdict.fixedAllowance))
            let allowance = Amount(approximately: next, rounding: .down)
            let budget = (try? agent.used.adding(allowance)) ?? agent.budget
            let proposal = PolicyProposal(
                oldValue: agent.budget, newValue: budget,
                reason: "allowance \(allowance) for the next step toward the fixed \(Amount(approximately: verdict.fixedAllowance)), "
                    + "the best fixed budget over the learning period: on its last \(verdict.heldOutSteps) steps, held out "
                    + "from training, the learned policy scored \(String(format: "%.1f", verdict.learnedReward)) against "
                    + "\(String(format: "%.1f", verdict.fixedReward)) for a fixed budget, so it is not used",
                inputs: [
                    "allowance": allowance.description, "previous_allowance": String(format: "%.6f", previous),
                    "baseline": String(format: "%.6f", baseline), "fixed_allowance": String(format: "%.6f", verdict.fixedAllowance),
                    "learned_reward": String(format: "%.4f", verdict.learnedReward),
                    "fixed_reward": String(format: "%.4f", verdict.fixedReward), "used": agent.used.description,
                ])
            return Move(proposal: proposal, allowance: allowance, state: state, action: 2, learned: false)
        }
        let action = optimizer.best(state)
        // The baseline moves as the history does; the step limit holds even when the allowance
        // must come back between 5% and 100 times a new baseline.
        let next = min(
            previous * (1 + limit),
            max(previous * (1 - limit), BudgetOptimizer.next(previous, changed: optimizer.change(action), baseline: baseline)))
        let allowance = Amount(approximately: next, rounding: .down)
        let budget = (try? agent.used.adding(allowance)) ?? agent.budget
        let features = BudgetOptimizer.features(of: state)
        let proposal = PolicyProposal(
            oldValue: agent.budget, newValue: budget,
            reason: "allowance \(optimizer.label(action)) to \(allowance) for the next step (\(features.timeOfDay), \(features.day), "
                + "\(features.priority), recent usage \(features.recentUsage), allowance \(features.remainingBudget) the baseline)",
            inputs: [
                "allowance": allowance.description, "previous_allowance": String(format: "%.6f", previous),
                "baseline": String(format: "%.6f", baseline), "action": optimizer.label(action), "state": String(state),
                "q_value": String(format: "%.4f", optimizer.table[state][action]), "used": agent.used.description,
            ])
        return Move(proposal: proposal, allowance: allowance, state: state, action: action, learned: true)
    }

    /// Plays the node's loop over `trace` (steps from `start`, one per update interval): a move
    /// per step from the allowance before and the last step's use, scored by the reward. What
    /// the policy, learned or fixed, does as applied.
    public func replay(agent: AgentUsage, trace: [BudgetOptimizer.Step], start: Timestamp) -> BudgetOptimizer.Outcome {
        var outcome = BudgetOptimizer.Outcome(reward: 0, exhaustions: 0, largestChange: 0)
        guard let baseline = baselines[agent.id] else { return outcome }
        var allowance: Amount?
        var lastUse = baseline * 0.5  // as the simulator starts each run
        for (index, step) in trace.enumerated() {
            let now = start.advanced(by: settings.updateInterval * index)
            guard
                let move = move(
                    agent: agent, previousAllowance: allowance, lastStepUse: Amount(approximately: lastUse), now: now)
            else { return outcome }
            let before = allowance.map { Double($0.micros) / 1_000_000 } ?? baseline
            let given = Double(move.allowance.micros) / 1_000_000
            let changed = before > 0 ? (given - before) / before : 0
            outcome.largestChange = max(outcome.largestChange, abs(changed))
            outcome.reward += optimizer.reward(demand: step.demand, budget: given, changed: changed)
            if step.demand > given { outcome.exhaustions += 1 }
            allowance = move.allowance
            lastUse = min(step.demand, given)
        }
        return outcome
    }
}
