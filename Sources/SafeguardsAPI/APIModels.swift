import SafeguardsCore

// The JSON bodies of the node's HTTP API (`/v1`). Field names are snake_case on the wire
// (each body's `CodingKeys`; see `APICoding`); amounts are decimal strings; times are RFC 3339
// strings in UTC.

/// `GET /healthz`
public struct HealthBody: Codable, Sendable, Equatable {
    public var status: String
    public var systemID: String
    public init(status: String, systemID: String) {
        self.status = status
        self.systemID = systemID
    }

    enum CodingKeys: String, CodingKey {
        case status, systemID = "system_id"
    }
}

/// `POST /v1/pools`
public struct CreatePoolRequest: Codable, Sendable, Equatable {
    public var name: String
    public var initialBudget: Amount
    public var priority: Int
    public var metadata: [String: String]?
    public var idempotencyKey: String?
    /// A budget period (see ``PeriodRequest``); none when absent.
    public var budgetPeriod: String?
    public var periodTimezone: String?
    public init(
        name: String, initialBudget: Amount, priority: Int, metadata: [String: String]? = nil,
        idempotencyKey: String? = nil, budgetPeriod: String? = nil, periodTimezone: String? = nil
    ) {
        self.name = name
        self.initialBudget = initialBudget
        self.priority = priority
        self.metadata = metadata
        self.idempotencyKey = idempotencyKey
        self.budgetPeriod = budgetPeriod
        self.periodTimezone = periodTimezone
    }

    enum CodingKeys: String, CodingKey {
        case name, initialBudget = "initial_budget", priority, metadata, idempotencyKey = "idempotency_key"
        case budgetPeriod = "budget_period", periodTimezone = "period_timezone"
    }
}

/// A pool and its balances. `total = available + allocated + spent_this_period`; `spent` is the
/// pool's agents' lifetime spending.
public struct PoolBody: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var priority: Int
    public var total: Amount
    public var available: Amount
    public var allocated: Amount
    public var spent: Amount
    public var metadata: [String: String]
    public var createdAt: String
    /// Spent since the pool's period started (equal to `spent` until its first reset).
    public var spentThisPeriod: Amount?
    /// The pool's budget period; these four are absent when it has none.
    public var period: PeriodFields?
    /// When the pool was closed; absent while it is open.
    public var closedAt: String?
    public init(
        id: String, name: String, priority: Int, total: Amount, available: Amount, allocated: Amount, spent: Amount,
        metadata: [String: String], createdAt: String, spentThisPeriod: Amount? = nil, period: PeriodFields? = nil,
        closedAt: String? = nil
    ) {
        self.id = id
        self.name = name
        self.priority = priority
        self.total = total
        self.available = available
        self.allocated = allocated
        self.spent = spent
        self.metadata = metadata
        self.createdAt = createdAt
        self.spentThisPeriod = spentThisPeriod
        self.period = period
        self.closedAt = closedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, priority, total, available, allocated, spent, metadata, createdAt = "created_at"
        case spentThisPeriod = "spent_this_period", closedAt = "closed_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(String.self, forKey: .id), name: try container.decode(String.self, forKey: .name),
            priority: try container.decode(Int.self, forKey: .priority),
            total: try container.decode(Amount.self, forKey: .total),
            available: try container.decode(Amount.self, forKey: .available),
            allocated: try container.decode(Amount.self, forKey: .allocated),
            spent: try container.decode(Amount.self, forKey: .spent),
            metadata: try container.decode([String: String].self, forKey: .metadata),
            createdAt: try container.decode(String.self, forKey: .createdAt),
            spentThisPeriod: try container.decodeIfPresent(Amount.self, forKey: .spentThisPeriod),
            period: try PeriodFields.decodeIfPresent(from: decoder),
            closedAt: try container.decodeIfPresent(String.self, forKey: .closedAt))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(priority, forKey: .priority)
        try container.encode(total, forKey: .total)
        try container.encode(available, forKey: .available)
        try container.encode(allocated, forKey: .allocated)
        try container.encode(spent, forKey: .spent)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(spentThisPeriod, forKey: .spentThisPeriod)
        try container.encodeIfPresent(closedAt, forKey: .closedAt)
        try period?.encode(to: encoder)
    }
}

/// `GET /v1/pools`
public struct PoolListBody: PagedList, Equatable {
    public var pools: [PoolBody]
    /// The cursor of the next page (`?after=`), `nil` on the last page.
    public var next: String?
    public init(pools: [PoolBody], next: String? = nil) {
        self.pools = pools
        self.next = next
    }

    public var items: [PoolBody] {
        get { pools }
        set { pools = newValue }
    }

    public func encode(to encoder: any Encoder) throws {
        try PageCoding.encode(pools, as: "pools", next: next, to: encoder)
    }

    enum CodingKeys: String, CodingKey {
        case pools, next
    }
}

/// `POST /v1/agents`
public struct RegisterAgentRequest: Codable, Sendable, Equatable {
    public var agentID: String
    public var poolID: String
    public var priority: String
    public var initialBudget: Amount
    public var idempotencyKey: String?
    /// A budget period (see ``PeriodRequest``); none when absent.
    public var budgetPeriod: String?
    public var periodTimezone: String?
    public init(
        agentID: String, poolID: String, priority: String, initialBudget: Amount, idempotencyKey: String? = nil,
        budgetPeriod: String? = nil, periodTimezone: String? = nil
    ) {
        self.agentID = agentID
        self.poolID = poolID
        self.priority = priority
        self.initialBudget = initialBudget
        self.idempotencyKey = idempotencyKey
        self.budgetPeriod = budgetPeriod
        self.periodTimezone = periodTimezone
    }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id", poolID = "pool_id", priority, initialBudget = "initial_budget"
        case idempotencyKey = "idempotency_key", budgetPeriod = "budget_period", periodTimezone = "period_timezone"
    }
}

/// An agent's budget. `total = available + reserved + spent_this_period`; `spent` is lifetime.
public struct AgentBudgetBody: Codable, Sendable, Equatable {
    public var initial: Amount
    public var total: Amount
    public var available: Amount
    public var reserved: Amount
    public var spent: Amount
    /// Spent since the agent's period started (equal to `spent` until its first reset).
    public var spentThisPeriod: Amount?
    public init(
        initial: Amount, total: Amount, available: Amount, reserved: Amount, spent: Amount,
        spentThisPeriod: Amount? = nil
    ) {
        self.initial = initial
        self.total = total
        self.available = available
        self.reserved = reserved
        self.spent = spent
        self.spentThisPeriod = spentThisPeriod
    }

    enum CodingKeys: String, CodingKey {
        case initial, total, available, reserved, spent, spentThisPeriod = "spent_this_period"
    }
}

/// An agent and its budget.
public struct AgentBody: Codable, Sendable, Equatable {
    public var agentID: String
    public var poolID: String
    public var priority: String
    public var budget: AgentBudgetBody
    /// `normal`, `warning` or `critical`: the highest usage level alerted since usage was last below 75%.
    public var alertLevel: String
    public var createdAt: String
    /// The agent's budget period; absent when it has none.
    public var period: PeriodFields?
    /// When the agent was closed; absent while it is open.
    public var closedAt: String?
    public init(
        agentID: String, poolID: String, priority: String, budget: AgentBudgetBody, alertLevel: String,
        createdAt: String, period: PeriodFields? = nil, closedAt: String? = nil
    ) {
        self.agentID = agentID
        self.poolID = poolID
        self.priority = priority
        self.budget = budget
        self.alertLevel = alertLevel
        self.createdAt = createdAt
        self.period = period
        self.closedAt = closedAt
    }

    enum CodingKeys: String, CodingKey {
        case agentID = "agent_id", poolID = "pool_id", priority, budget, alertLevel = "alert_level"
        case createdAt = "created_at", closedAt = "closed_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            agentID: try container.decode(String.self, forKey: .agentID),
            poolID: try container.decode(String.self, forKey: .poolID),
            priority: try container.decode(String.self, forKey: .priority),
            budget: try container.decode(AgentBudgetBody.self, forKey: .budget),
            alertLevel: try container.decode(String.self, forKey: .alertLevel),
            createdAt: try container.decode(String.self, forKey: .createdAt), period: try PeriodFields.decodeIfPresent(from: decoder),
            closedAt: try container.decodeIfPresent(String.self, forKey: .closedAt))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(agentID, forKey: .agentID)
        try container.encode(poolID, forKey: .poolID)
        try container.encode(priority, forKey: .priority)
        try container.encode(budget, forKey: .budget)
        try container.encode(alertLevel, forKey: .alertLevel)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(closedAt, forKey: .closedAt)
        try period?.encode(to: encoder)
    }
}

/// `GET /v1/agents`
public struct AgentListBody: PagedList, Equatable {
    public var agents: [AgentBody]
    /// The cursor of the next page (`?after=`), `nil` on the last page.
    public var next: String?
    public init(agents: [AgentBody], next: String? = nil) {
        self.agents = agents
        self.next = next
    }

    public var items: [AgentBody] {
        get { agents }
        set { agents = newValue }
    }

    public func encode(to encoder: any Encoder) throws {
        try PageCoding.encode(agents, as: "agents", next: next, to: encoder)
    }

    enum CodingKeys: String, CodingKey {
        case agents, next
    }
}

/// `PUT /v1/agents/{id}/budget`: sets the agent's total budget; the difference moves from or to its
/// pool. `budget_period` sets or changes the period, `null` or `"none"` removes it, absent keeps it.
public struct UpdateBudgetRequest: Codable, Sendable, Equatable {
    public var budget: Amount
    public var reason: String
    public var idempotencyKey: String?
    /// `nil`: keep the period; `"none"`: remove it (also sent as JSON `null`).
    public var budgetPeriod: String?
    public var periodTimezone: String?
    public init(
        budget: Amount, reason: String, idempotencyKey: String? = nil, budgetPeriod: String? = nil,
        periodTimezone: String? = nil
    ) {
        self.budget = budget
        self.reason = reason
        self.idempotencyKey = idempotencyKey
        self.budgetPeriod = budgetPeriod
        self.periodTimezone = periodTimezone
    }

    enum CodingKeys: String, CodingKey {
        case budget, reason, idempotencyKey = "idempotency_key", budgetPeriod = "budget_period"
        case periodTimezone = "period_timezone"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        budget = try container.decode(Amount.self, forKey: .budget)
        reason = try container.decode(String.self, forKey: .reason)
        idempotencyKey = try container.decodeIfPresent(String.self, forKey: .idempotencyKey)
        budgetPeriod = try PeriodRequest.decodePeriod(container, forKey: .budgetPeriod)
        periodTimezone = try container.decodeIfPresent(String.self, forKey: .periodTimezone)
    }
}

/// An error, as `application/problem+json` (RFC 9457) with a stable `code`.
public struct ProblemBody: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var code: String
    public var retryAfterSeconds: Int?
    public init(title: String, status: Int, detail: String, code: String, retryAfterSeconds: Int? = nil) {
        self.type = "https://safeguards.dev/problems/\(code)"
        self.title = title
        self.status = status
        self.detail = detail
        self.code = code
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(status) \(code): \(detail)" }

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, code, retryAfterSeconds = "retry_after_seconds"
    }
}
