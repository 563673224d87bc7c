/// How much of its budget an agent has used (spent plus reserved).
public enum UsageLevel: Int, Sendable, Hashable, Codable, Comparable, CaseIterable {
    case normal = 0
    /// At least ``UsageLevel/warningPercent`` used.
    case warning = 1
    /// At least ``UsageLevel/criticalPercent`` used.
    case critical = 2

    public static let warningPercent: Int64 = 75
    public static let criticalPercent: Int64 = 90

    public static func < (lhs: UsageLevel, rhs: UsageLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var name: String {
        switch self {
        case .normal: "normal"
        case .warning: "warning"
        case .critical: "critical"
        }
    }

    public init?(name: String) {
        guard let level = UsageLevel.allCases.first(where: { $0.name == name }) else { return nil }
        self = level
    }

    /// The level of `used` out of `budget`. An agent with no budget left and none used is normal;
    /// one with no budget that has used anything is critical.
    public static func of(used: Amount, budget: Amount) -> UsageLevel {
        guard budget.isPositive else { return used.isPositive ? .critical : .normal }
        if used.isAtLeast(percent: criticalPercent, of: budget) { return .critical }
        if used.isAtLeast(percent: warningPercent, of: budget) { return .warning }
        return .normal
    }
}

/// Raised once when an agent's usage first reaches a level; re-armed when usage falls below warning.
public struct UsageAlert: Sendable, Hashable {
    /// `<agent>:<transfer>`: the agent and the transfer that crossed the level.
    public let id: String
    public let agentID: AgentID
    public let poolID: PoolID
    public let level: UsageLevel
    /// Spent plus reserved when the alert was raised.
    public let used: Amount
    /// The agent's budget (available + reserved + spent) at that moment.
    public let budget: Amount
    public let transferID: TransferID
    public let createdAt: Timestamp

    public init(
        id: String, agentID: AgentID, poolID: PoolID, level: UsageLevel, used: Amount, budget: Amount,
        transferID: TransferID, createdAt: Timestamp
    ) {
        self.id = id
        self.agentID = agentID
        self.poolID = poolID
        self.level = level
        self.used = used
        self.budget = budget
        self.transferID = transferID
        self.createdAt = createdAt
    }

    /// Usage in basis points (7650 = 76.50%).
    public var usageBasisPoints: Int64 { used.basisPoints(of: budget) }
}
