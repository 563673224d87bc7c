/// A named budget container. Its budget sits in the pool's ledger account until allocated to agents.
public struct Pool: Sendable, Hashable {
    public let id: PoolID
    public let name: String
    public let priority: PoolPriority
    public let metadata: [String: String]
    public let createdAt: Timestamp
    /// The idempotency key the pool was created with, so a retry returns this pool.
    public let creationKey: IdempotencyKey?
    /// When the pool was closed (``BudgetCommand/closePool(_:reason:)``); nil while it is open. A
    /// closed pool holds no budget, takes no agents and no top-ups; it stays listed, as history.
    public internal(set) var closedAt: Timestamp?

    public init(
        id: PoolID, name: String, priority: PoolPriority, metadata: [String: String], createdAt: Timestamp,
        creationKey: IdempotencyKey?, closedAt: Timestamp? = nil
    ) {
        self.id = id
        self.name = name
        self.priority = priority
        self.metadata = metadata
        self.createdAt = createdAt
        self.creationKey = creationKey
        self.closedAt = closedAt
    }

    /// Pool names are 1-100 printable characters.
    public static func validateName(_ name: String) throws(SafeguardsError) {
        guard !name.isEmpty, name.count <= 100, name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f })
        else { throw .invalidRequest("pool name must be 1-100 printable characters") }
    }
}

/// A pool with its balances, as the API shows it. `total = available + allocated + spentThisPeriod`.
public struct PoolSnapshot: Sendable, Hashable {
    public let pool: Pool
    /// Budget in the pool not yet allocated to an agent.
    public let available: Amount
    /// Budget held by the pool's agents, available or reserved.
    public let allocated: Amount
    /// Budget the pool's agents have spent.
    public let spent: Amount
    public let total: Amount
    /// The pool's budget period, if one was ever set (``PeriodState/setting`` is nil once removed).
    public let period: PeriodState?
    /// What the pool's agents spent since the pool's current period started.
    public let spentThisPeriod: Amount
}
