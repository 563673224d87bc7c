/// Who a budget period belongs to: an agent or a pool.
public enum PeriodOwner: Sendable, Hashable, Comparable, CustomStringConvertible {
    case pool(PoolID)
    case agent(AgentID)

    /// `agent:<id>` or `pool:<id>`, as reset transfer ids name it.
    public var description: String {
        switch self {
        case .pool(let id): "pool:\(id.rawValue)"
        case .agent(let id): "agent:\(id.rawValue)"
        }
    }

    /// Pools sort before agents, so at one boundary a pool is refilled before its agents draw on it.
    public static func < (lhs: PeriodOwner, rhs: PeriodOwner) -> Bool {
        switch (lhs, rhs) {
        case (.pool(let left), .pool(let right)): left < right
        case (.agent(let left), .agent(let right)): left < right
        case (.pool, .agent): true
        case (.agent, .pool): false
        }
    }
}

/// An agent's or a pool's current budget period.
///
/// `spentBase` is what the owner had spent in its lifetime when the period started (an agent's
/// spent sink, a pool's agents' sinks together), so `spent_this_period = spent - spentBase`
/// without moving spent budget anywhere. It stays when a period is removed, so the total
/// (`available + reserved + spent_this_period` for an agent) does not jump.
public struct PeriodState: Sendable, Hashable {
    /// The period; `nil` once removed (the state stays for `spentBase`).
    public var setting: PeriodSetting?
    /// When the current period started: the last boundary reset, or when the period was set.
    public var startedAt: Timestamp
    /// Lifetime spent at `startedAt`.
    public var spentBase: Amount
    /// The total a reset restores: the total when the period was set, then every budget or
    /// total set since. A reset that the pool could not fund in full does not lower it.
    public var target: Amount

    public init(setting: PeriodSetting?, startedAt: Timestamp, spentBase: Amount, target: Amount) {
        self.setting = setting
        self.startedAt = startedAt
        self.spentBase = spentBase
        self.target = target
    }

    /// The transfer id of the reset that starts the period at `start`: `reset:<owner>:<unix seconds>`.
    /// Deterministic, so a replayed or repeated reset finds its first transfer.
    public static func resetTransferID(_ owner: PeriodOwner, start: Timestamp) -> TransferID {
        let seconds = start.millisecondsSince1970 / 1000
        return TransferID(unchecked: "reset:\(owner):\(seconds)")
    }
}
