import SafeguardsCore

/// The reward of one step, as in the original's reinforcement-learning example: weights for
/// utilization, an exhaustion penalty, completed work, and a penalty on changing the budget.
public struct RewardWeights: Sendable, Hashable {
    public var utilization: Double
    public var exhaustionPenalty: Double
    public var completedTasks: Double
    public var stabilityPenalty: Double

    public init(utilization: Double = 1, exhaustionPenalty: Double = 2, completedTasks: Double = 1, stabilityPenalty: Double = 0.1) {
        self.utilization = utilization
        self.exhaustionPenalty = exhaustionPenalty
        self.completedTasks = completedTasks
        self.stabilityPenalty = stabilityPenalty
    }
}

/// Tabular Q-learning over a budget that is set anew every step (an hour), after the original's
/// `BudgetOptimizer`. Runs on a CPU in milliseconds: 720 states × 5 actions.
///
/// **State** (discretized), the original's `state_features`: `time_of_day` (eight three-hour
/// slots, so office hours 09-18 are slots of their own and the hours before them can ramp up),
/// `day_of_week` (weekday or weekend), `agent_priority` (CRITICAL/HIGH, MEDIUM, LOW/MINIMAL),
/// `recent_usage` (last step's use over its budget: below 0.5, below 0.9, above) and
/// `remaining_budget_percentage` (the budget over its baseline: below 0.5, 0.8, 1.25, 2, above).
/// A feature left out of ``Configuration/features`` is not seen: its part of the state is 0.
///
/// **Actions:** change the budget by −m, −m/2, 0, +m/2 or +m of its current value, with m =
/// `maxBudgetChange`; the budget never changes by more than that in one step, and stays between
/// 5% and 100 times the baseline.
///
/// **Reward** of a step with demand `d` and budget `b`: `utilization·min(d,b)/b +
/// completedTasks·min(d,b)/d − exhaustionPenalty·[d > b] − stabilityPenalty·|Δb|/(m·b)`.
public struct BudgetOptimizer: Sendable {
    public struct Configuration: Sendable, Hashable {
        public var learningRate: Double
        public var discountFactor: Double
        public var explorationRate: Double
        public var maxBudgetChange: Ratio
        public var trainingEpisodes: Int
        public var reward: RewardWeights
        /// The features the state is made of (all, unless fewer are asked for).
        public var features: Set<StateFeature>

        public init(
            learningRate: Double = 0.1, discountFactor: Double = 0.9, explorationRate: Double = 0.1,
            maxBudgetChange: Ratio = Ratio(basisPoints: 2000), trainingEpisodes: Int = 200, reward: RewardWeights = RewardWeights(),
            features: Set<StateFeature> = Set(StateFeature.allCases)
        ) {
            self.learningRate = learningRate
            self.discountFactor = discountFactor
            self.explorationRate = explorationRate
            self.maxBudgetChange = maxBudgetChange
            self.trainingEpisodes = trainingEpisodes
            self.reward = reward
            self.features = features
        }
    }

    /// The original's state feature names.
    public enum StateFeature: String, CaseIterable, Sendable, Hashable, Comparable {
        case timeOfDay = "time_of_day", dayOfWeek = "day_of_week", agentPriority = "agent_priority"
        case recentUsage = "recent_usage", remainingBudgetPercentage = "remaining_budget_percentage"

        public static func < (lhs: StateFeature, rhs: StateFeature) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }

        /// The features named, or an error that lists the known names.
        public static func parse(_ names: [String]) throws(PolicyError) -> Set<StateFeature> {
            var features: Set<StateFeature> = []
            for name in names {
                guard let feature = StateFeature(rawValue: name) else {
                    throw PolicyError(
                        "unknown state_features '\(name)'; known: \(allCases.map(\.rawValue).joined(separator: ", "))")
                }
                features.insert(feature)
            }
            guard !features.isEmpty else { throw PolicyError("state_features must name at least one feature") }
            return features
        }
    }

    /// One hour of recorded (or simulated) demand.
    public struct Step: Sendable, Hashable {
        public var hourOfDay: Int
        public var weekend: Bool
        public var demand: Double
        public init(hourOfDay: Int, weekend: Bool, demand: Double) {
            self.hourOfDay = hourOfDay
            self.weekend = weekend
            self.demand = demand
        }
    }

    /// What running a budget over a trace gave.
    public struct Outcome: Sendable {
        public var reward: Double
        public var exhaustions: Int
        /// The largest change of the budget in one step, relative to the budget before it.
        public var largestChange: Double
    }

    public static let stateCount = 8 * 2 * 3 * 3 * 5
    public static let actionCount = 5

    public let configuration: Configuration
    public private(set) var table: [[Double]]

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.table = Array(repeating: Array(repeating: 0, count: Self.actionCount), count: Self.stateCount)
    }

    /// The change of each action, as a fraction of the current budget.
    public func change(_ action: Int) -> Double {
        let m = Double(configuration.maxBudgetChange.basisPoints) / 10_000
        return [-m, -m / 2, 0, m / 2, m][action]
    }

    /// The state of a step, with every feature (`features` leaves some out: their part is 0).
    public static func state(
        step: Step, priority: AgentPriority, recentUse: Double, budgetOverBaseline: Double,
        features: Set<StateFeature> = Set(StateFeature.allCases)
    ) -> Int {
        let time = features.contains(.timeOfDay) ? min(7, max(0, step.hourOfDay / 3)) : 0
        let day = features.contains(.dayOfWeek) && step.weekend ? 1 : 0
        let rank = features.contains(.agentPriority) ? (priority.rank >= 4 ? 0 : (priority.rank == 3 ? 1 : 2)) : 0
        // Within a millionth of a boundary counts as reaching it: a budget of exactly 1.25× the
        // baseline, in exact micro-units or in floating point, falls in the same bucket.
        let tolerance = 1e-6
        let usage =
            features.contains(.recentUsage) ? (recentUse < 0.5 - tolerance ? 0 : (recentUse < 0.9 - tolerance ? 1 : 2)) : 0
        let remaining =
            features.contains(.remainingBudgetPercentage)
            ? ([0.5, 0.8, 1.25, 2].firstIndex { budgetOverBaseline < $0 - tolerance } ?? 4) : 0
        return (((time * 2 + day) * 3 + rank) * 3 + usage) * 5 + remaining
    }

    /// The state of a step with this optimizer's features.
    public func state(step: Step, priority: AgentPriority, recentUse: Double, budgetOverBaseline: Double) -> Int {
        Self.state(
            step: step, priority: priority, recentUse: recentUse, budgetOverBaseline: budgetOverBaseline,
            features: configuration.features)
    }

    func reward(demand: Double, budget: Double, changed: Double) -> Double {
        let used = min(demand, budget)
        let weights = configuration.reward
        let m = Double(configuration.maxBudgetChange.basisPoints) / 10_000
        var value = weights.utilization * (budget > 0 ? used / budget : 0)
        value += weights.completedTasks * (demand > 0 ? used / demand : 1)
        if demand > budget { value -= weights.exhaustionPenalty }
        value -= weights.stabilityPenalty * (m > 0 ? abs(changed) / m : 0)
        return value
    }

    /// One agent's recorded demand, for training: its trace, its static budget per step, its priority.
    public struct Episode: Sendable {
        public var trace: [Step]
        public var baseline: Double
        public var priority: AgentPriority
        public init(trace: [Step], baseline: Double, priority: AgentPriority) {
            self.trace = trace
            self.baseline = baseline
            self.priority = priority
        }
    }

    /// Trains on `trace` for the configured episodes, starting each at `baseline`.
    public mutating func train<R: RandomNumberGenerator>(
        on trace: [Step], baseline: Double, priority: AgentPriority, random: inout R
    ) {
        train(on: [Episode(trace: trace, baseline: baseline, priority: priority)], random: &random)
    }

    /// Trains for the configured episodes, episode `i` replaying `episodes[i % count]` from its
    /// baseline: the cost is episodes × steps of one trace, whatever the number of agents.
    public mutating func train<R: RandomNumberGenerator>(on episodes: [Episode], random: inout R) {
        let usable = episodes.filter { $0.trace.count > 1 && $0.baseline > 0 }
        guard !usable.isEmpty else { return }
        for episode in 0..<configuration.trainingEpisodes {
            let current = usable[episode % usable.count]
            let (trace, baseline, priority) = (current.trace, current.baseline, current.priority)
            var budget = baseline
            var recent = 0.5
            for index in 0..<(trace.count - 1) {
                let step = trace[index]
                let state = self.state(step: step, priority: priority, recentUse: recent, budgetOverBaseline: budget / baseline)
                let action = Double.random(in: 0..<1, using: &random) < configuration.explorationRate
                    ? Int.random(in: 0..<Self.actionCount, using: &random) : best(state)
                let changed = change(action)
                budget = Self.next(budget, changed: changed, baseline: baseline)
                let reward = reward(demand: step.demand, budget: budget, changed: changed)
                recent = budget > 0 ? min(step.demand, budget) / budget : 0
                let next = self.state(step: trace[index + 1], priority: priority, recentUse: recent, budgetOverBaseline: budget / baseline)
                let target = reward + configuration.discountFactor * (table[next].max() ?? 0)
                table[state][action] += configuration.learningRate * (target - table[state][action])
            }
        }
    }

    /// The budget after a change: never below 5% of the baseline nor above 100 times it, so an
    /// agent never runs dry for good and a learned policy cannot grow a budget without end.
    public static func next(_ budget: Double, changed: Double, baseline: Double) -> Double {
        min(baseline * 100, max(baseline * 0.05, budget * (1 + changed)))
    }

    /// The best action in `state` (ties to the smaller change).
    public func best(_ state: Int) -> Int {
        var action = 2
        for candidate in [2, 1, 3, 0, 4] where table[state][candidate] > table[state][action] { action = candidate }
        return action
    }

    /// The fixed budget per step (a multiple of `baseline` from 0.1 to 5 in steps of 0.05) that
    /// scores best over `trace`: what a budget that never changes could do at best there.
    public func bestFixedBudget(on trace: [Step], baseline: Double) -> Double {
        var best = (budget: baseline, reward: -Double.infinity)
        for factor in stride(from: 0.1, through: 5.0 + 1e-9, by: 0.05) {
            let reward = evaluate(on: trace, fixed: baseline * factor).reward
            if reward > best.reward { best = (baseline * factor, reward) }
        }
        return best.budget
    }

    /// A budget of `fixed` every step over `trace`.
    public func evaluate(on trace: [Step], fixed: Double) -> Outcome {
        var outcome = Outcome(reward: 0, exhaustions: 0, largestChange: 0)
        for step in trace {
            outcome.reward += reward(demand: step.demand, budget: fixed, changed: 0)
            if step.demand > fixed { outcome.exhaustions += 1 }
        }
        return outcome
    }

    /// Runs the learned policy (or, with `learned` false, the static budget) over `trace`.
    public func evaluate(on trace: [Step], baseline: Double, priority: AgentPriority, learned: Bool = true) -> Outcome {
        var budget = baseline
        var recent = 0.5
        var outcome = Outcome(reward: 0, exhaustions: 0, largestChange: 0)
        for step in trace {
            var changed = 0.0
            if learned {
                let state = self.state(step: step, priority: priority, recentUse: recent, budgetOverBaseline: budget / baseline)
                changed = change(best(state))
                let next = Self.next(budget, changed: changed, baseline: baseline)
                outcome.largestChange = max(outcome.largestChange, abs(next - budget) / budget)
                budget = next
            }
            outcome.reward += reward(demand: step.demand, budget: budget, changed: changed)
            if step.demand > budget { outcome.exhaustions += 1 }
            recent = budget > 0 ? min(step.demand, budget) / budget : 0
        }
        return outcome
    }
}
