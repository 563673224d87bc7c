import NIOHTTP1
import SafeguardsCore

// Cost-benefit allocation: operation profiles, reported benefits, and budgets allocated by expected benefit.

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

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id", operationType = "operation_type", averageCost = "average_cost"
        case averageBenefit = "average_benefit", benefitVariability = "benefit_variability"
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

    enum CodingKeys: String, CodingKey {
        case totalBudget = "total_budget", minAllocationPercentage = "min_allocation_percentage"
        case riskTolerance = "risk_tolerance", apply
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

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id", benefit
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

    enum CodingKeys: String, CodingKey {
        case lookbackDays = "lookback_days", metric, agents
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
