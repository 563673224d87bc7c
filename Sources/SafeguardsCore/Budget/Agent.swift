/// A budget holder inside a pool.
public struct Agent: Sendable, Hashable {
    public let id: AgentID
    public let poolID: PoolID
    public let priority: AgentPriority
    /// The budget the agent was registered with.
    public let initialBudget: Amount
    public let createdAt: Timestamp
    public let creationKey: IdempotencyKey?
    /// The highest usage level already alerted; reset when usage falls below the warning level.
    public internal(set) var alertLevel: UsageLevel
    /// When the agent was closed (``BudgetCommand/closeAgent(_:reason:)``); nil while it is open. A
    /// closed agent holds no budget and refuses reservations, spends and budget changes.
    public internal(set) var closedAt: Timestamp?

    public init(
        id: AgentID, poolID: PoolID, priority: AgentPriority, initialBudget: Amount, createdAt: Timestamp,
        creationKey: IdempotencyKey?, alertLevel: UsageLevel = .normal, closedAt: Timestamp? = nil
    ) {
        self.id = id
        self.poolID = poolID
        self.priority = priority
        self.initialBudget = initialBudget
        self.createdAt = createdAt
        self.creationKey = creationKey
        self.alertLevel = alertLevel
        self.closedAt = closedAt
    }
}

/// An agent with its balances. `total = available + reserved + spentThisPeriod` is the agent's
/// budget; `spent` is what it spent in its lifetime (equal to `spentThisPeriod` until a first
/// period reset).
public struct AgentSnapshot: Sendable, Hashable {
    public let agent: Agent
    public let available: Amount
    public let reserved: Amount
    public let spent: Amount
    public let total: Amount
    /// The agent's budget period, if one was ever set (``PeriodState/setting`` is nil once removed).
    public let period: PeriodState?
    /// Spent since the current period started (since the last reset).
    public let spentThisPeriod: Amount
}
