import NIOHTTP1
import SafeguardsCore

/// A ratio in JSON: a decimal string (`"0.7"`) or a plain number (`0.7`), at most four decimals.
public struct RatioText: Codable, Sendable, Equatable, ExpressibleByStringLiteral {
    public var text: String
    public init(_ text: String) { self.text = text }
    public init(stringLiteral value: String) { self.text = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self.text = text
        } else {
            // Ratios are not money: a JSON number is accepted and read back as its decimal text.
            self.text = String(describing: try container.decode(Double.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// `PUT /v1/pools/{id}/policies/adaptive_sizing`.
public struct AdaptiveSizingBody: Codable, Sendable, Equatable {
    public var adjustmentIntervalSeconds: Int
    public var minPoolBudget: Amount
    public var maxPoolBudget: Amount
    public var utilizationTarget: RatioText
    public var growthRate: RatioText
    public var shrinkRate: RatioText
    public var minAgentsForAdjustment: Int
    /// No change while the size the use calls for is within this fraction of the pool's size
    /// (default 0.05); answered with the value in force.
    public var deadBand: RatioText?

    public init(
        adjustmentIntervalSeconds: Int, minPoolBudget: Amount, maxPoolBudget: Amount, utilizationTarget: RatioText,
        growthRate: RatioText, shrinkRate: RatioText, minAgentsForAdjustment: Int, deadBand: RatioText? = nil
    ) {
        self.adjustmentIntervalSeconds = adjustmentIntervalSeconds
        self.minPoolBudget = minPoolBudget
        self.maxPoolBudget = maxPoolBudget
        self.utilizationTarget = utilizationTarget
        self.growthRate = growthRate
        self.shrinkRate = shrinkRate
        self.minAgentsForAdjustment = minAgentsForAdjustment
        self.deadBand = deadBand
    }

    enum CodingKeys: String, CodingKey {
        case adjustmentIntervalSeconds = "adjustment_interval_seconds", minPoolBudget = "min_pool_budget"
        case maxPoolBudget = "max_pool_budget", utilizationTarget = "utilization_target", growthRate = "growth_rate"
        case shrinkRate = "shrink_rate", minAgentsForAdjustment = "min_agents_for_adjustment", deadBand = "dead_band"
    }
}

/// `PUT /v1/pools/{id}/policies/priority_reallocation`.
public struct PriorityReallocationBody: Codable, Sendable, Equatable {
    public var reallocationIntervalSeconds: Int
    public var emergencyThreshold: Amount
    public var minBudgetPercentage: RatioText
    public var reservePercentage: RatioText
    /// Weight by priority name (`CRITICAL`, `HIGH`, ...); missing ones keep the defaults 4, 2, 1, 0.5, 0.25.
    public var priorityWeights: [String: RatioText]?

    public init(
        reallocationIntervalSeconds: Int, emergencyThreshold: Amount, minBudgetPercentage: RatioText,
        reservePercentage: RatioText, priorityWeights: [String: RatioText]? = nil
    ) {
        self.reallocationIntervalSeconds = reallocationIntervalSeconds
        self.emergencyThreshold = emergencyThreshold
        self.minBudgetPercentage = minBudgetPercentage
        self.reservePercentage = reservePercentage
        self.priorityWeights = priorityWeights
    }

    enum CodingKeys: String, CodingKey {
        case reallocationIntervalSeconds = "reallocation_interval_seconds"
        case emergencyThreshold = "emergency_threshold", minBudgetPercentage = "min_budget_percentage"
        case reservePercentage = "reserve_percentage", priorityWeights = "priority_weights"
    }
}

/// `PUT /v1/pools/{id}/policies/time_profiles`.
public struct TimeProfilesBody: Codable, Sendable, Equatable {
    public struct Profile: Codable, Sendable, Equatable {
        public var budget: Amount
        public var startTime: String
        public var endTime: String
        /// 0 = Monday ... 6 = Sunday: the days the profile starts on.
        public var days: [Int]
        public init(budget: Amount, startTime: String, endTime: String, days: [Int]) {
            self.budget = budget
            self.startTime = startTime
            self.endTime = endTime
            self.days = days
        }

        enum CodingKeys: String, CodingKey {
            case budget, startTime = "start_time", endTime = "end_time", days
        }
    }

    public var timeZone: String
    public var profiles: [String: Profile]

    public init(timeZone: String, profiles: [String: Profile]) {
        self.timeZone = timeZone
        self.profiles = profiles
    }

    enum CodingKeys: String, CodingKey {
        case timeZone = "time_zone", profiles
    }
}

/// `GET /v1/pools/{id}/policies`.
public struct PoolPoliciesBody: Codable, Sendable, Equatable {
    public var poolID: String
    public var frozen: Bool
    public var adaptiveSizing: AdaptiveSizingBody?
    public var priorityReallocation: PriorityReallocationBody?
    public var timeProfiles: TimeProfilesBody?
    public var usagePrediction: UsagePredictionBody?
    public var reinforcementLearning: ReinforcementLearningBody?
    /// The time profile in force now, if any.
    public var activeProfile: String?

    public init(
        poolID: String, frozen: Bool, adaptiveSizing: AdaptiveSizingBody?, priorityReallocation: PriorityReallocationBody?,
        timeProfiles: TimeProfilesBody?, usagePrediction: UsagePredictionBody? = nil,
        reinforcementLearning: ReinforcementLearningBody? = nil, activeProfile: String?
    ) {
        self.poolID = poolID
        self.frozen = frozen
        self.adaptiveSizing = adaptiveSizing
        self.priorityReallocation = priorityReallocation
        self.timeProfiles = timeProfiles
        self.usagePrediction = usagePrediction
        self.reinforcementLearning = reinforcementLearning
        self.activeProfile = activeProfile
    }

    enum CodingKeys: String, CodingKey {
        case poolID = "pool_id", frozen, adaptiveSizing = "adaptive_sizing"
        case priorityReallocation = "priority_reallocation", timeProfiles = "time_profiles"
        case usagePrediction = "usage_prediction", reinforcementLearning = "reinforcement_learning"
        case activeProfile = "active_profile"
    }
}

/// `POST /v1/agents/{id}/rate-limit`.
public struct RateLimitBody: Codable, Sendable, Equatable {
    public var maxBudget: Amount
    public var timeWindowSeconds: Int
    public init(maxBudget: Amount, timeWindowSeconds: Int) {
        self.maxBudget = maxBudget
        self.timeWindowSeconds = timeWindowSeconds
    }

    enum CodingKeys: String, CodingKey {
        case maxBudget = "max_budget", timeWindowSeconds = "time_window_seconds"
    }
}

/// One entry of `GET /v1/decisions`.
public struct DecisionBody: Codable, Sendable, Equatable {
    public var policy: String
    public var poolID: String?
    public var agentID: String?
    public var oldValue: Amount
    public var newValue: Amount
    public var reason: String
    public var inputs: [String: String]
    public var transferID: String?
    public var at: String
    /// The API key whose request made the decision (`admin-token` for the configured token);
    /// absent for a decision the node made on its own.
    public var actor: String?

    public init(
        policy: String, poolID: String?, agentID: String?, oldValue: Amount, newValue: Amount, reason: String,
        inputs: [String: String], transferID: String?, at: String, actor: String? = nil
    ) {
        self.policy = policy
        self.poolID = poolID
        self.agentID = agentID
        self.oldValue = oldValue
        self.newValue = newValue
        self.reason = reason
        self.inputs = inputs
        self.transferID = transferID
        self.at = at
        self.actor = actor
    }

    enum CodingKeys: String, CodingKey {
        case policy, poolID = "pool_id", agentID = "agent_id", oldValue = "old_value", newValue = "new_value", reason
        case inputs, transferID = "transfer_id", at, actor
    }
}

public struct DecisionListBody: PagedList, Equatable {
    public var decisions: [DecisionBody]
    /// The cursor of the next page (`?after=`), `nil` on the last page.
    public var next: String?
    public init(decisions: [DecisionBody], next: String? = nil) {
        self.decisions = decisions
        self.next = next
    }

    public var items: [DecisionBody] {
        get { decisions }
        set { decisions = newValue }
    }

    public func encode(to encoder: any Encoder) throws {
        try PageCoding.encode(decisions, as: "decisions", next: next, to: encoder)
    }

    enum CodingKeys: String, CodingKey {
        case decisions, next
    }
}

extension SafeguardsClient {
    public func setAdaptiveSizing(pool: String, _ body: AdaptiveSizingBody) async throws(APIClientError) -> PoolPoliciesBody {
        try await call(.PUT, "/v1/pools/\(Self.escape(pool))/policies/adaptive_sizing", body: body)
    }

    public func setPriorityReallocation(pool: String, _ body: PriorityReallocationBody) async throws(APIClientError)
        -> PoolPoliciesBody
    {
        try await call(.PUT, "/v1/pools/\(Self.escape(pool))/policies/priority_reallocation", body: body)
    }

    public func setTimeProfiles(pool: String, _ body: TimeProfilesBody) async throws(APIClientError) -> PoolPoliciesBody {
        try await call(.PUT, "/v1/pools/\(Self.escape(pool))/policies/time_profiles", body: body)
    }

    /// Sets the pool's policy of `kind` from its parameters as JSON (the body of
    /// `PUT /v1/pools/{id}/policies/{kind}`).
    public func setPolicy(pool: String, kind: String, json: [UInt8]) async throws(APIClientError) -> PoolPoliciesBody {
        try decode(await raw(.PUT, "/v1/pools/\(Self.escape(pool))/policies/\(Self.escape(kind))", body: json))
    }

    /// Removes the pool's policy of `kind`; its budgets stay as they are.
    public func removePolicy(pool: String, kind: String) async throws(APIClientError) -> PoolPoliciesBody {
        try await call(.DELETE, "/v1/pools/\(Self.escape(pool))/policies/\(Self.escape(kind))")
    }

    public func policies(pool: String) async throws(APIClientError) -> PoolPoliciesBody {
        try await call(.GET, "/v1/pools/\(Self.escape(pool))/policies")
    }

    public func freeze(pool: String) async throws(APIClientError) -> PoolPoliciesBody {
        try await call(.POST, "/v1/pools/\(Self.escape(pool))/freeze")
    }

    public func unfreeze(pool: String) async throws(APIClientError) -> PoolPoliciesBody {
        try await call(.POST, "/v1/pools/\(Self.escape(pool))/unfreeze")
    }

    /// Runs the pool's policies now (a time profile's budget is applied at once).
    public func applyPolicies(pool: String) async throws(APIClientError) -> PoolPoliciesBody {
        try await call(.POST, "/v1/pools/\(Self.escape(pool))/policies/apply")
    }

    public func setRateLimit(agent: String, _ body: RateLimitBody) async throws(APIClientError) -> RateLimitBody {
        try await call(.POST, "/v1/agents/\(Self.escape(agent))/rate-limit", body: body)
    }

    /// Every logged decision (of `pool`), newest first, following `next` page after page.
    public func decisions(pool: String? = nil) async throws(APIClientError) -> DecisionListBody {
        try await allPages { page throws(APIClientError) in try await decisions(pool: pool, page: page) }
    }

    /// One page of `GET /v1/decisions`, newest first.
    public func decisions(pool: String? = nil, page: PageQuery) async throws(APIClientError) -> DecisionListBody {
        try await call(.GET, Self.path("/v1/decisions", query: [("pool_id", pool)] + page.parameters))
    }
}
