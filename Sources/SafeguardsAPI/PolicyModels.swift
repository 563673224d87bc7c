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

    public init(
        adjustmentIntervalSeconds: Int, minPoolBudget: Amount, maxPoolBudget: Amount, utilizationTarget: RatioText,
        growthRate: RatioText, shrinkRate: RatioText, minAgentsForAdjustment: Int
    ) {
        self.adjustmentIntervalSeconds = adjustmentIntervalSeconds
        self.minPoolBudget = minPoolBudget
        self.maxPoolBudget = maxPoolBudget
        self.utilizationTarget = utilizationTarget
        self.growthRate = growthRate
        self.shrinkRate = shrinkRate
        self.minAgentsForAdjustment = minAgentsForAdjustment
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
    }

    public var timeZone: String
    public var profiles: [String: Profile]

    public init(timeZone: String, profiles: [String: Profile]) {
        self.timeZone = timeZone
        self.profiles = profiles
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
}

/// `POST /v1/agents/{id}/rate-limit`.
public struct RateLimitBody: Codable, Sendable, Equatable {
    public var maxBudget: Amount
    public var timeWindowSeconds: Int
    public init(maxBudget: Amount, timeWindowSeconds: Int) {
        self.maxBudget = maxBudget
        self.timeWindowSeconds = timeWindowSeconds
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

    public init(
        policy: String, poolID: String?, agentID: String?, oldValue: Amount, newValue: Amount, reason: String,
        inputs: [String: String], transferID: String?, at: String
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

/// `POST /v1/agents/{id}/resources`.
public struct ResourceBudgetsRequest: Codable, Sendable, Equatable {
    public var budgets: [String: Amount]
    public var idempotencyKey: String?
    public init(budgets: [String: Amount], idempotencyKey: String? = nil) {
        self.budgets = budgets
        self.idempotencyKey = idempotencyKey
    }
}

/// An agent's budget of each resource type.
public struct ResourcesBody: Codable, Sendable, Equatable {
    public struct Budget: Codable, Sendable, Equatable {
        public var total: Amount
        public var available: Amount
        public var reserved: Amount
        public init(total: Amount, available: Amount, reserved: Amount) {
            self.total = total
            self.available = available
            self.reserved = reserved
        }
    }

    public var agentID: String
    public var budgets: [String: Budget]
    public init(agentID: String, budgets: [String: Budget]) {
        self.agentID = agentID
        self.budgets = budgets
    }
}

/// `POST /v1/agents/{id}/resources/reserve`: several resources at once, all or none.
public struct ResourceReserveRequest: Codable, Sendable, Equatable {
    public var amounts: [String: Amount]
    public var idempotencyKey: String?
    public var timeoutSeconds: Int?
    public init(amounts: [String: Amount], idempotencyKey: String? = nil, timeoutSeconds: Int? = nil) {
        self.amounts = amounts
        self.idempotencyKey = idempotencyKey
        self.timeoutSeconds = timeoutSeconds
    }
}

/// A resource reservation: what each type holds and where it stands.
public struct ResourceReservationBody: Codable, Sendable, Equatable {
    public var reservationID: String
    public var agentID: String
    public var amounts: [String: Amount]
    /// Per type: pending, posted (settled), voided (released) or expired.
    public var states: [String: String]
    public init(reservationID: String, agentID: String, amounts: [String: Amount], states: [String: String]) {
        self.reservationID = reservationID
        self.agentID = agentID
        self.amounts = amounts
        self.states = states
    }
}

/// `POST /v1/resource-reservations/{id}/settle`: what was used of each type (the rest is released).
public struct ResourceSettleRequest: Codable, Sendable, Equatable {
    public var used: [String: Amount]
    public init(used: [String: Amount]) { self.used = used }
}

extension SafeguardsClient {
    public func setResources(agent: String, _ request: ResourceBudgetsRequest) async throws(APIClientError) -> ResourcesBody {
        try await call(.POST, "/v1/agents/\(Self.escape(agent))/resources", body: request)
    }

    public func resources(agent: String) async throws(APIClientError) -> ResourcesBody {
        try await call(.GET, "/v1/agents/\(Self.escape(agent))/resources")
    }

    public func reserveResources(agent: String, _ request: ResourceReserveRequest) async throws(APIClientError)
        -> ResourceReservationBody
    {
        try await call(.POST, "/v1/agents/\(Self.escape(agent))/resources/reserve", body: request)
    }

    public func settleResources(reservation: String, _ request: ResourceSettleRequest) async throws(APIClientError)
        -> ResourceReservationBody
    {
        try await call(.POST, "/v1/resource-reservations/\(Self.escape(reservation))/settle", body: request)
    }

    public func releaseResources(reservation: String) async throws(APIClientError) -> ResourceReservationBody {
        try await call(.POST, "/v1/resource-reservations/\(Self.escape(reservation))/release")
    }
}

/// `POST /v1/cost-benefit/operations`.
public struct OperationProfileBody: Codable, Sendable, Equatable {
    public var agentID: String
    public var operationType: String
    public var averageCost: Amount
    public var averageBenefit: Amount
    public var benefitVariability: Amount
    public init(agentID: String, operationType: String, averageCost: Amount, averageBenefit: Amount, benefitVariability: Amount) {
        self.agentID = agentID
        self.operationType = operationType
        self.averageCost = averageCost
        self.averageBenefit = averageBenefit
        self.benefitVariability = benefitVariability
    }
}

/// `POST /v1/cost-benefit/optimize`.
public struct OptimizeRequest: Codable, Sendable, Equatable {
    public var totalBudget: Amount
    public var minAllocationPercentage: RatioText
    public var riskTolerance: RatioText
    /// Set each agent's budget to its allocation (through the ledger, logged as decisions).
    public var apply: Bool?
    public init(totalBudget: Amount, minAllocationPercentage: RatioText, riskTolerance: RatioText, apply: Bool? = nil) {
        self.totalBudget = totalBudget
        self.minAllocationPercentage = minAllocationPercentage
        self.riskTolerance = riskTolerance
        self.apply = apply
    }
}

public struct OptimizeResult: Codable, Sendable, Equatable {
    public var allocations: [String: Amount]
    /// The risk-adjusted expected benefit of the allocation (see the objective in the README).
    public var objective: String
    public var applied: Bool
    public init(allocations: [String: Amount], objective: String, applied: Bool) {
        self.allocations = allocations
        self.objective = objective
        self.applied = applied
    }
}

/// `POST /v1/cost-benefit/benefits`: a benefit an agent's work actually brought.
public struct BenefitReport: Codable, Sendable, Equatable {
    public var agentID: String
    public var benefit: Amount
    public init(agentID: String, benefit: Amount) {
        self.agentID = agentID
        self.benefit = benefit
    }
}

/// `GET /v1/cost-benefit/effectiveness?lookback_days=7&metric=roi`.
public struct EffectivenessBody: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var spent: Amount
        public var benefit: Amount
        /// (benefit − spent) / spent, as a decimal; absent when nothing was spent.
        public var roi: String?
        public init(spent: Amount, benefit: Amount, roi: String?) {
            self.spent = spent
            self.benefit = benefit
            self.roi = roi
        }
    }
    public var lookbackDays: Int
    public var metric: String
    public var agents: [String: Entry]
    public init(lookbackDays: Int, metric: String, agents: [String: Entry]) {
        self.lookbackDays = lookbackDays
        self.metric = metric
        self.agents = agents
    }
}

extension SafeguardsClient {
    public func registerOperation(_ body: OperationProfileBody) async throws(APIClientError) -> OperationProfileBody {
        try await call(.POST, "/v1/cost-benefit/operations", body: body)
    }

    public func optimize(_ request: OptimizeRequest) async throws(APIClientError) -> OptimizeResult {
        try await call(.POST, "/v1/cost-benefit/optimize", body: request)
    }

    public func reportBenefit(_ report: BenefitReport) async throws(APIClientError) -> BenefitReport {
        try await call(.POST, "/v1/cost-benefit/benefits", body: report)
    }

    public func effectiveness(lookbackDays: Int = 7) async throws(APIClientError) -> EffectivenessBody {
        try await call(.GET, "/v1/cost-benefit/effectiveness?lookback_days=\(lookbackDays)&metric=roi")
    }
}
