import SafeguardsCore

// The JSON bodies of the node's HTTP API (`/v1`). Field names are snake_case on the wire
// (see `APICoding`); amounts are decimal strings; times are RFC 3339 strings in UTC.

/// `GET /healthz`
public struct HealthBody: Codable, Sendable, Equatable {
    public var status: String
    public var systemID: String
    public init(status: String, systemID: String) {
        self.status = status
        self.systemID = systemID
    }
}

/// `POST /v1/pools`
public struct CreatePoolRequest: Codable, Sendable, Equatable {
    public var name: String
    public var initialBudget: Amount
    public var priority: Int
    public var metadata: [String: String]?
    public var idempotencyKey: String?
    public init(
        name: String, initialBudget: Amount, priority: Int, metadata: [String: String]? = nil,
        idempotencyKey: String? = nil
    ) {
        self.name = name
        self.initialBudget = initialBudget
        self.priority = priority
        self.metadata = metadata
        self.idempotencyKey = idempotencyKey
    }
}

/// A pool and its balances. `total = available + allocated + spent`.
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
    public init(
        id: String, name: String, priority: Int, total: Amount, available: Amount, allocated: Amount, spent: Amount,
        metadata: [String: String], createdAt: String
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
    public init(agentID: String, poolID: String, priority: String, initialBudget: Amount, idempotencyKey: String? = nil)
    {
        self.agentID = agentID
        self.poolID = poolID
        self.priority = priority
        self.initialBudget = initialBudget
        self.idempotencyKey = idempotencyKey
    }
}

/// An agent's budget. `total = available + reserved + spent`.
public struct AgentBudgetBody: Codable, Sendable, Equatable {
    public var initial: Amount
    public var total: Amount
    public var available: Amount
    public var reserved: Amount
    public var spent: Amount
    public init(initial: Amount, total: Amount, available: Amount, reserved: Amount, spent: Amount) {
        self.initial = initial
        self.total = total
        self.available = available
        self.reserved = reserved
        self.spent = spent
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
    public init(
        agentID: String, poolID: String, priority: String, budget: AgentBudgetBody, alertLevel: String,
        createdAt: String
    ) {
        self.agentID = agentID
        self.poolID = poolID
        self.priority = priority
        self.budget = budget
        self.alertLevel = alertLevel
        self.createdAt = createdAt
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

/// `PUT /v1/agents/{id}/budget`: sets the agent's total budget; the difference moves from or to its pool.
public struct UpdateBudgetRequest: Codable, Sendable, Equatable {
    public var budget: Amount
    public var reason: String
    public var idempotencyKey: String?
    public init(budget: Amount, reason: String, idempotencyKey: String? = nil) {
        self.budget = budget
        self.reason = reason
        self.idempotencyKey = idempotencyKey
    }
}

/// `POST /v1/agents/{id}/reservations`
public struct ReserveRequest: Codable, Sendable, Equatable {
    public var amount: Amount
    public var idempotencyKey: String?
    /// How long the reservation may stay unsettled before it expires (default from the node config).
    public var timeoutSeconds: Int64?
    public init(amount: Amount, idempotencyKey: String? = nil, timeoutSeconds: Int64? = nil) {
        self.amount = amount
        self.idempotencyKey = idempotencyKey
        self.timeoutSeconds = timeoutSeconds
    }
}

/// A reservation: `pending` until settled (`posted`), released (`voided`) or `expired`.
public struct ReservationBody: Codable, Sendable, Equatable {
    public var reservationID: String
    public var agentID: String
    public var amount: Amount
    public var state: String
    /// What was spent when it was settled (zero otherwise).
    public var settledAmount: Amount
    public var expiresAt: String?
    public var createdAt: String
    public var resolvedAt: String?
    public init(
        reservationID: String, agentID: String, amount: Amount, state: String, settledAmount: Amount,
        expiresAt: String?, createdAt: String, resolvedAt: String?
    ) {
        self.reservationID = reservationID
        self.agentID = agentID
        self.amount = amount
        self.state = state
        self.settledAmount = settledAmount
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.resolvedAt = resolvedAt
    }
}

/// `POST /v1/reservations/{id}/settle`
public struct SettleRequest: Codable, Sendable, Equatable {
    public var amount: Amount
    public init(amount: Amount) { self.amount = amount }
}

/// `POST /v1/agents/{id}/spend`
public struct SpendRequest: Codable, Sendable, Equatable {
    public var amount: Amount
    public var idempotencyKey: String?
    public init(amount: Amount, idempotencyKey: String? = nil) {
        self.amount = amount
        self.idempotencyKey = idempotencyKey
    }
}

/// A ledger transfer as stored.
public struct TransferBody: Codable, Sendable, Equatable {
    public var id: String
    public var debitAccount: String
    public var creditAccount: String
    public var amount: Amount
    public var postedAmount: Amount
    public var twoPhase: Bool
    public var state: String
    public var reason: String
    public var metadata: [String: String]
    public var createdAt: String
    public var expiresAt: String?
    public var resolvedAt: String?
    public init(
        id: String, debitAccount: String, creditAccount: String, amount: Amount, postedAmount: Amount,
        twoPhase: Bool, state: String, reason: String, metadata: [String: String], createdAt: String,
        expiresAt: String?, resolvedAt: String?
    ) {
        self.id = id
        self.debitAccount = debitAccount
        self.creditAccount = creditAccount
        self.amount = amount
        self.postedAmount = postedAmount
        self.twoPhase = twoPhase
        self.state = state
        self.reason = reason
        self.metadata = metadata
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.resolvedAt = resolvedAt
    }
}

/// A usage alert.
public struct AlertBody: Codable, Sendable, Equatable {
    public var id: String
    public var agentID: String
    public var poolID: String
    /// `warning` (75% used) or `critical` (90% used).
    public var level: String
    /// Used share of the budget, e.g. `"76.50"`.
    public var usagePercent: String
    public var used: Amount
    public var budget: Amount
    public var transferID: String
    public var createdAt: String
    public init(
        id: String, agentID: String, poolID: String, level: String, usagePercent: String, used: Amount,
        budget: Amount, transferID: String, createdAt: String
    ) {
        self.id = id
        self.agentID = agentID
        self.poolID = poolID
        self.level = level
        self.usagePercent = usagePercent
        self.used = used
        self.budget = budget
        self.transferID = transferID
        self.createdAt = createdAt
    }
}

/// `GET /v1/alerts`
public struct AlertListBody: PagedList, Equatable {
    public var alerts: [AlertBody]
    /// The cursor of the next page (`?after=`), `nil` on the last page.
    public var next: String?
    public init(alerts: [AlertBody], next: String? = nil) {
        self.alerts = alerts
        self.next = next
    }

    public var items: [AlertBody] {
        get { alerts }
        set { alerts = newValue }
    }

    public func encode(to encoder: any Encoder) throws {
        try PageCoding.encode(alerts, as: "alerts", next: next, to: encoder)
    }

    enum CodingKeys: String, CodingKey {
        case alerts, next
    }
}

/// `GET /v1/ledger/check`: sums over every account. `balanced` when debits equal credits (posted
/// and pending) and no constrained account is below zero.
public struct LedgerCheckBody: Codable, Sendable, Equatable {
    public var balanced: Bool
    public var debits: String
    public var credits: String
    public var debitsPending: String
    public var creditsPending: String
    public var accounts: Int
    public var overdrawnAccounts: [String]
    public init(
        balanced: Bool, debits: String, credits: String, debitsPending: String, creditsPending: String, accounts: Int,
        overdrawnAccounts: [String]
    ) {
        self.balanced = balanced
        self.debits = debits
        self.credits = credits
        self.debitsPending = debitsPending
        self.creditsPending = creditsPending
        self.accounts = accounts
        self.overdrawnAccounts = overdrawnAccounts
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
}
