import NIOHTTP1
import SafeguardsCore

/// `GET /v1/agents/{id}/prediction?hours=24&from=...`.
public struct PredictionBody: Codable, Sendable, Equatable {
    public var agentID: String
    public var hours: Int
    public var predictedBudget: Amount
    /// The estimated probability that the window's use falls between `low` and `high`.
    public var confidence: String
    public var dataPoints: Int
    /// The window's start (RFC 3339).
    public var from: String?
    /// The prediction −20% and +20%.
    public var low: Amount?
    public var high: Amount?
    /// The past windows of the same length and weekly phase the prediction rests on.
    public var windows: Int?
    /// The recent weeks differ from older ones by more than a factor of two: only they were used.
    public var regimeChange: Bool?
    public init(
        agentID: String, hours: Int, predictedBudget: Amount, confidence: String, dataPoints: Int, from: String? = nil,
        low: Amount? = nil, high: Amount? = nil, windows: Int? = nil, regimeChange: Bool? = nil
    ) {
        self.agentID = agentID
        self.hours = hours
        self.predictedBudget = predictedBudget
        self.confidence = confidence
        self.dataPoints = dataPoints
        self.from = from
        self.low = low
        self.high = high
        self.windows = windows
        self.regimeChange = regimeChange
    }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id", hours, predictedBudget = "predicted_budget", confidence
        case dataPoints = "data_points", from, low, high, windows, regimeChange = "regime_change"
    }
}

/// `GET /v1/agents/{id}/patterns`: the learned weekly usage, bucket by bucket.
public struct PatternsBody: Codable, Sendable, Equatable {
    public struct Bucket: Codable, Sendable, Equatable {
        /// 0 = Monday.
        public var day: Int
        /// "HH:MM", the bucket's start.
        public var start: String
        public var mean: Amount
        public init(day: Int, start: String, mean: Amount) {
            self.day = day
            self.start = start
            self.mean = mean
        }
    }
    public var agentID: String
    public var timeBucketMinutes: Int
    public var learningPeriodDays: Int
    public var weeks: Int
    public var dataPoints: Int
    public var buckets: [Bucket]
    public init(agentID: String, timeBucketMinutes: Int, learningPeriodDays: Int, weeks: Int, dataPoints: Int, buckets: [Bucket]) {
        self.agentID = agentID
        self.timeBucketMinutes = timeBucketMinutes
        self.learningPeriodDays = learningPeriodDays
        self.weeks = weeks
        self.dataPoints = dataPoints
        self.buckets = buckets
    }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id", timeBucketMinutes = "time_bucket_minutes"
        case learningPeriodDays = "learning_period_days", weeks, dataPoints = "data_points", buckets
    }
}

extension SafeguardsClient {
    /// `settings`: the learner's query parameters (`learning_period_days`, `time_bucket_minutes`,
    /// `min_data_points`, `prediction_confidence`).
    /// `from`: the window's start (default: now).
    public func prediction(agent: String, hours: Int = 24, from: Timestamp? = nil, settings: [String: String] = [:])
        async throws(APIClientError) -> PredictionBody
    {
        var query: [(String, String?)] = [("hours", String(hours)), ("from", from.map(ISO8601.format))]
        query += settings.sorted(by: { $0.key < $1.key }).map { ($0.key, Optional($0.value)) }
        return try await call(.GET, Self.path("/v1/agents/\(Self.escape(agent))/prediction", query: query))
    }

    public func patterns(agent: String, settings: [String: String] = [:]) async throws(APIClientError) -> PatternsBody {
        let query = settings.sorted(by: { $0.key < $1.key }).map { ($0.key, Optional($0.value)) }
        return try await call(.GET, Self.path("/v1/agents/\(Self.escape(agent))/patterns", query: query))
    }
}

/// `PUT /v1/pools/{id}/policies/usage_prediction`: set each agent's available budget to its
/// predicted use over the next window times a safety margin, when the prediction is confident.
public struct UsagePredictionBody: Codable, Sendable, Equatable {
    public var safetyMargin: RatioText
    public var predictionWindowHours: Int
    public var updateIntervalSeconds: Int
    public var learningPeriodDays: Int?
    public var timeBucketMinutes: Int?
    public var minDataPoints: Int?
    public var predictionConfidence: RatioText?
    public var timeZone: String?

    public init(
        safetyMargin: RatioText = "1.2", predictionWindowHours: Int = 24, updateIntervalSeconds: Int = 3600,
        learningPeriodDays: Int? = nil, timeBucketMinutes: Int? = nil, minDataPoints: Int? = nil,
        predictionConfidence: RatioText? = nil, timeZone: String? = nil
    ) {
        self.safetyMargin = safetyMargin
        self.predictionWindowHours = predictionWindowHours
        self.updateIntervalSeconds = updateIntervalSeconds
        self.learningPeriodDays = learningPeriodDays
        self.timeBucketMinutes = timeBucketMinutes
        self.minDataPoints = minDataPoints
        self.predictionConfidence = predictionConfidence
        self.timeZone = timeZone
    }

    enum CodingKeys: String, CodingKey {
        case safetyMargin = "safety_margin", predictionWindowHours = "prediction_window_hours"
        case updateIntervalSeconds = "update_interval_seconds", learningPeriodDays = "learning_period_days"
        case timeBucketMinutes = "time_bucket_minutes", minDataPoints = "min_data_points"
        case predictionConfidence = "prediction_confidence", timeZone = "time_zone"
    }
}

/// The reward of one step, by weight (see the README's optimizer section).
public struct RewardWeightsBody: Codable, Sendable, Equatable {
    public var utilization: RatioText
    public var exhaustionPenalty: RatioText
    public var completedTasks: RatioText
    public var stabilityPenalty: RatioText

    public init(
        utilization: RatioText = "1", exhaustionPenalty: RatioText = "2", completedTasks: RatioText = "1",
        stabilityPenalty: RatioText = "0.1"
    ) {
        self.utilization = utilization
        self.exhaustionPenalty = exhaustionPenalty
        self.completedTasks = completedTasks
        self.stabilityPenalty = stabilityPenalty
    }

    enum CodingKeys: String, CodingKey {
        case utilization, exhaustionPenalty = "exhaustion_penalty", completedTasks = "completed_tasks"
        case stabilityPenalty = "stability_penalty"
    }
}

/// `PUT /v1/pools/{id}/policies/reinforcement_learning`: tabular Q-learning over the agents'
/// allowances, trained on their recorded use, proposing a change every update interval.
public struct ReinforcementLearningBody: Codable, Sendable, Equatable {
    public var learningRate: RatioText
    public var discountFactor: RatioText
    public var explorationRate: RatioText
    public var maxBudgetChangePercentage: RatioText
    public var trainingEpisodes: Int
    public var updateIntervalSeconds: Int
    public var learningPeriodDays: Int?
    public var minDataPoints: Int?
    public var seed: UInt64?
    public var timeZone: String?
    public var reward: RewardWeightsBody?
    /// The features the learned state is made of, by the original's names (`time_of_day`,
    /// `day_of_week`, `agent_priority`, `recent_usage`, `remaining_budget_percentage`); all
    /// when absent. An unknown name is refused.
    public var stateFeatures: [String]?

    public init(
        learningRate: RatioText = "0.1", discountFactor: RatioText = "0.9", explorationRate: RatioText = "0.1",
        maxBudgetChangePercentage: RatioText = "0.3", trainingEpisodes: Int = 1000, updateIntervalSeconds: Int = 3600,
        learningPeriodDays: Int? = nil, minDataPoints: Int? = nil, seed: UInt64? = nil, timeZone: String? = nil,
        reward: RewardWeightsBody? = nil, stateFeatures: [String]? = nil
    ) {
        self.learningRate = learningRate
        self.discountFactor = discountFactor
        self.explorationRate = explorationRate
        self.maxBudgetChangePercentage = maxBudgetChangePercentage
        self.trainingEpisodes = trainingEpisodes
        self.updateIntervalSeconds = updateIntervalSeconds
        self.learningPeriodDays = learningPeriodDays
        self.minDataPoints = minDataPoints
        self.seed = seed
        self.timeZone = timeZone
        self.reward = reward
        self.stateFeatures = stateFeatures
    }

    enum CodingKeys: String, CodingKey {
        case learningRate = "learning_rate", discountFactor = "discount_factor", explorationRate = "exploration_rate"
        case maxBudgetChangePercentage = "max_budget_change_percentage", trainingEpisodes = "training_episodes"
        case updateIntervalSeconds = "update_interval_seconds", learningPeriodDays = "learning_period_days"
        case minDataPoints = "min_data_points", seed, timeZone = "time_zone", reward, stateFeatures = "state_features"
    }
}

/// `GET /v1/optimizer/policy`: what the reinforcement-learning optimizer of each pool learned.
public struct OptimizerPolicyBody: Codable, Sendable, Equatable {
    public struct Agent: Codable, Sendable, Equatable {
        public var agentID: String
        public var priority: String
        /// The static allowance per step: the agent's mean use per step.
        public var baseline: Amount
        /// The allowance the optimizer last gave, if it gave one.
        public var allowance: Amount?
        public var stepsLearned: Int
        public init(agentID: String, priority: String, baseline: Amount, allowance: Amount?, stepsLearned: Int) {
            self.agentID = agentID
            self.priority = priority
            self.baseline = baseline
            self.allowance = allowance
            self.stepsLearned = stepsLearned
        }

        enum CodingKeys: String, CodingKey {
            case agentID = "agent_id", priority, baseline, allowance, stepsLearned = "steps_learned"
        }
    }

    public struct State: Codable, Sendable, Equatable {
        public var state: Int
        public var timeOfDay: String
        public var day: String
        public var priority: String
        public var recentUsage: String
        public var remainingBudget: String
        /// The change the policy makes in this state, e.g. "+15%".
        public var action: String
        /// The learned value of each action, by its change.
        public var values: [String: String]
        public init(
            state: Int, timeOfDay: String, day: String, priority: String, recentUsage: String, remainingBudget: String,
            action: String, values: [String: String]
        ) {
            self.state = state
            self.timeOfDay = timeOfDay
            self.day = day
            self.priority = priority
            self.recentUsage = recentUsage
            self.remainingBudget = remainingBudget
            self.action = action
            self.values = values
        }

        enum CodingKeys: String, CodingKey {
            case state, timeOfDay = "time_of_day", day, priority, recentUsage = "recent_usage"
            case remainingBudget = "remaining_budget", action, values
        }
    }

    public struct Pool: Codable, Sendable, Equatable {
        public var poolID: String
        public var trainedAt: String?
        public var trainingEpisodes: Int
        public var updateIntervalSeconds: Int
        public var maxBudgetChangePercentage: String
        public var agents: [Agent]
        /// The states training visited; every other state keeps the budget as it is.
        public var states: [State]
        public init(
            poolID: String, trainedAt: String?, trainingEpisodes: Int, updateIntervalSeconds: Int,
            maxBudgetChangePercentage: String, agents: [Agent], states: [State]
        ) {
            self.poolID = poolID
            self.trainedAt = trainedAt
            self.trainingEpisodes = trainingEpisodes
            self.updateIntervalSeconds = updateIntervalSeconds
            self.maxBudgetChangePercentage = maxBudgetChangePercentage
            self.agents = agents
            self.states = states
        }

        enum CodingKeys: String, CodingKey {
            case poolID = "pool_id", trainedAt = "trained_at", trainingEpisodes = "training_episodes"
            case updateIntervalSeconds = "update_interval_seconds"
            case maxBudgetChangePercentage = "max_budget_change_percentage", agents, states
        }
    }

    public var pools: [Pool]
    public init(pools: [Pool]) { self.pools = pools }
}

extension SafeguardsClient {
    public func setUsagePrediction(pool: String, _ body: UsagePredictionBody) async throws(APIClientError) -> PoolPoliciesBody {
        try await call(.PUT, "/v1/pools/\(Self.escape(pool))/policies/usage_prediction", body: body)
    }

    public func setReinforcementLearning(pool: String, _ body: ReinforcementLearningBody) async throws(APIClientError)
        -> PoolPoliciesBody
    {
        try await call(.PUT, "/v1/pools/\(Self.escape(pool))/policies/reinforcement_learning", body: body)
    }

    public func optimizerPolicy(pool: String? = nil) async throws(APIClientError) -> OptimizerPolicyBody {
        try await call(.GET, Self.path("/v1/optimizer/policy", query: [("pool_id", pool)]))
    }
}
