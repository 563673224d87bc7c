import NIOHTTP1
import SafeguardsCore

// Cost-benefit allocation: operation profiles, reported benefits, and budgets allocated by expected benefit.

/// `POST /v1/cost-benefit/operations`. The benefit's spread is given as `benefit_variability`, a
/// fraction of the average benefit as the original has it (`0.2`: 20%), or as `benefit_stddev`,
/// an absolute standard deviation in the benefit's unit; at most one of the two (neither: a
/// benefit that does not vary). The answer carries both.
public struct OperationProfileBody: Codable, Sendable, Equatable {
    public var agentID: String
    public var operationType: String
    public var averageCost: Amount
    public var averageBenefit: Amount
    /// The benefit's standard deviation as a fraction of `average_benefit`, 0 to 10.
    public var benefitVariability: RatioText?
    /// The benefit's standard deviation in the benefit's unit.
    public var benefitStddev: Amount?
    public init(
        agentID: String, operationType: String, averageCost: Amount, averageBenefit: Amount,
        benefitVariability: RatioText? = nil, benefitStddev: Amount? = nil
    ) {
        self.agentID = agentID
        self.operationType = operationType
        self.averageCost = averageCost
        self.averageBenefit = averageBenefit
        self.benefitVariability = benefitVariability
        self.benefitStddev = benefitStddev
    }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id", operationType = "operation_type", averageCost = "average_cost"
        case averageBenefit = "average_benefit", benefitVariability = "benefit_variability"
        case benefitStddev = "benefit_stddev"
    }
}

/// `POST /v1/cost-benefit/optimize`.
public struct OptimizeRequest: Codable, Sendable, Equatable {
    public var totalBudget: Amount
    public var minAllocationPercentage: RatioText
    public var riskTolerance: RatioText
    /// Set each agent's budget toward its allocation (through the ledger in one linked batch,
    /// logged as decisions), within the step limit.
    public var apply: Bool?
    /// With `apply`: a person's override, applying the full allocation past the step limit;
    /// logged as `override.cost_benefit` decisions.
    public var operatorOverride: Bool?
    public init(
        totalBudget: Amount, minAllocationPercentage: RatioText, riskTolerance: RatioText, apply: Bool? = nil,
        operatorOverride: Bool? = nil
    ) {
        self.totalBudget = totalBudget
        self.minAllocationPercentage = minAllocationPercentage
        self.riskTolerance = riskTolerance
        self.apply = apply
        self.operatorOverride = operatorOverride
    }

    enum CodingKeys: String, CodingKey {
        case totalBudget = "total_budget", minAllocationPercentage = "min_allocation_percentage"
        case riskTolerance = "risk_tolerance", apply, operatorOverride = "operator_override"
    }
}

public struct OptimizeResult: Codable, Sendable, Equatable {
    public var allocations: [String: Amount]
    /// The risk-adjusted expected benefit of the allocation (see the objective in the README).
    public var objective: String
    public var applied: Bool
    /// The allocation's expected benefit, and the standard deviation of that benefit (agents
    /// independent): what the risk tolerance trades against each other.
    public var expectedBenefit: Amount?
    public var benefitStddev: Amount?
    /// With `apply`: each agent's budget as the apply left it (the allocation, or as far toward it
    /// as the step limit allows).
    public var appliedBudgets: [String: Amount]?
    public init(
        allocations: [String: Amount], objective: String, applied: Bool, appliedBudgets: [String: Amount]? = nil,
        expectedBenefit: Amount? = nil, benefitStddev: Amount? = nil
    ) {
        self.allocations = allocations
        self.objective = objective
        self.applied = applied
        self.appliedBudgets = appliedBudgets
        self.expectedBenefit = expectedBenefit
        self.benefitStddev = benefitStddev
    }

    enum CodingKeys: String, CodingKey {
        case allocations, objective, applied, appliedBudgets = "applied_budgets", expectedBenefit = "expected_benefit"
        case benefitStddev = "benefit_stddev"
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
