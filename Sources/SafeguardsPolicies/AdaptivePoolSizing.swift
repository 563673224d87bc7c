import SafeguardsCore

/// What a policy knows of a pool when it decides.
public struct PoolUsage: Sendable, Hashable {
    /// available + allocated to agents + spent by them.
    public var total: Amount
    /// Not yet given to any agent: all a pool can shrink by.
    public var available: Amount
    /// Spent and reserved by the pool's agents.
    public var used: Amount
    public var agentCount: Int

    public init(total: Amount, available: Amount, used: Amount, agentCount: Int) {
        self.total = total
        self.available = available
        self.used = used
        self.agentCount = agentCount
    }
}

/// A change a policy proposes, with what it saw, for the decision log.
public struct PolicyProposal: Sendable, Hashable {
    public var oldValue: Amount
    public var newValue: Amount
    public var reason: String
    public var inputs: [String: String]

    public init(oldValue: Amount, newValue: Amount, reason: String, inputs: [String: String] = [:]) {
        self.oldValue = oldValue
        self.newValue = newValue
        self.reason = reason
        self.inputs = inputs
    }
}

/// Adaptive pool sizing, after the original `AdaptivePoolSizer.configure_pool`: every
/// `adjustmentInterval` the pool moves toward the size at which its use would be exactly
/// `utilizationTarget` of it (used / target): up by at most `growthRate`, down by at most
/// `shrinkRate` per step. When that size is within `deadBand` of the current one (a fraction of
/// it), nothing changes, so a pool whose use holds steady settles instead of swinging around the
/// target. Never outside [`minPoolBudget`, `maxPoolBudget`] (a pool outside them is brought back
/// whatever its use), never below what its agents already hold, and not at all with fewer than
/// `minAgentsForAdjustment` agents (too little data).
public struct AdaptivePoolSizing: Sendable, Hashable {
    public var adjustmentInterval: Duration
    public var minPoolBudget: Amount
    public var maxPoolBudget: Amount
    public var utilizationTarget: Ratio
    public var growthRate: Ratio
    public var shrinkRate: Ratio
    public var minAgentsForAdjustment: Int
    /// How far (a fraction of the current size) the size the use calls for may be from the
    /// current one before the pool changes.
    public var deadBand: Ratio

    /// The dead band when none is given: 5 % of the pool's size.
    public static let defaultDeadBand = Ratio(basisPoints: 500)

    public init(
        adjustmentInterval: Duration = .seconds(3600), minPoolBudget: Amount, maxPoolBudget: Amount,
        utilizationTarget: Ratio = Ratio(basisPoints: 7000), growthRate: Ratio = Ratio(basisPoints: 2000),
        shrinkRate: Ratio = Ratio(basisPoints: 1000), minAgentsForAdjustment: Int = 3,
        deadBand: Ratio = AdaptivePoolSizing.defaultDeadBand
    ) {
        self.adjustmentInterval = adjustmentInterval
        self.minPoolBudget = minPoolBudget
        self.maxPoolBudget = maxPoolBudget
        self.utilizationTarget = utilizationTarget
        self.growthRate = growthRate
        self.shrinkRate = shrinkRate
        self.minAgentsForAdjustment = minAgentsForAdjustment
        self.deadBand = deadBand
    }

    /// Checks the parameters make sense together.
    public func validate() throws(PolicyError) {
        guard adjustmentInterval > .zero else { throw PolicyError("adjustment_interval must be positive") }
        guard minPoolBudget >= .zero, minPoolBudget <= maxPoolBudget else {
            throw PolicyError("min_pool_budget must be between 0 and max_pool_budget")
        }
        guard utilizationTarget.basisPoints > 0, utilizationTarget.basisPoints <= 10_000 else {
            throw PolicyError("utilization_target must be above 0 and at most 1")
        }
        guard growthRate.basisPoints >= 0, shrinkRate.basisPoints >= 0, shrinkRate.basisPoints < 10_000 else {
            throw PolicyError("growth_rate must be 0 or more and shrink_rate between 0 and 1")
        }
        guard minAgentsForAdjustment >= 0 else { throw PolicyError("min_agents_for_adjustment must be 0 or more") }
        guard deadBand.basisPoints >= 0, deadBand.basisPoints < 10_000 else {
            throw PolicyError("dead_band must be 0 or more and below 1")
        }
    }

    /// The new total for a pool in `usage`, or `nil` to leave it.
    public func propose(_ usage: PoolUsage) -> PolicyProposal? {
        guard usage.agentCount >= minAgentsForAdjustment, usage.total.isPositive || minPoolBudget.isPositive else {
            return nil
        }
        let utilization = Ratio(basisPoints: usage.used.basisPoints(of: usage.total))
        // The size at which the use would be exactly on target.
        let ideal = Amount(
            micros: Int64(clamping: Int128(usage.used.micros) * 10_000 / Int128(utilizationTarget.basisPoints)))
        let inputs = [
            "utilization": utilization.description, "target": utilizationTarget.description,
            "agents": String(usage.agentCount), "total": usage.total.description, "used": usage.used.description,
            "size_on_target": ideal.description, "dead_band": deadBand.description,
        ]
        let gap = ideal > usage.total ? (try? ideal.subtracting(usage.total)) : (try? usage.total.subtracting(ideal))
        var target = usage.total
        var reason = ""
        if let gap, gap > deadBand.of(usage.total) {
            let step: String
            if ideal > usage.total {
                target = min(ideal, (try? usage.total.adding(growthRate.of(usage.total))) ?? maxPoolBudget)
                step = target == ideal ? "grow to \(ideal)" : "grow by growth_rate \(growthRate) toward \(ideal)"
            } else {
                target = max(ideal, (try? usage.total.subtracting(shrinkRate.of(usage.total))) ?? .zero)
                step = target == ideal ? "shrink to \(ideal)" : "shrink by shrink_rate \(shrinkRate) toward \(ideal)"
            }
            let side = ideal > usage.total ? "above" : "below"
            reason = "utilization \(utilization) \(side) target \(utilizationTarget): \(step), the size on target"
        }
        // What the agents hold cannot be taken back by sizing; bounds apply whatever the use.
        let held = (try? usage.total.subtracting(usage.available)) ?? .zero
        let floor = max(minPoolBudget, held)
        let floorReason = floor == held ? "what its agents hold (\(held))" : "min_pool_budget \(minPoolBudget)"
        if target > maxPoolBudget {
            target = maxPoolBudget
            reason = usage.total > maxPoolBudget
                ? "pool above max_pool_budget \(maxPoolBudget): lowered to it"
                : reason + ", capped at max_pool_budget \(maxPoolBudget)"
        }
        if target < floor {
            target = floor
            reason = usage.total < floor
                ? "pool below \(floorReason): raised to it"
                : reason + ", floored at \(floorReason)"
        }
        guard target != usage.total else { return nil }
        return PolicyProposal(oldValue: usage.total, newValue: target, reason: reason, inputs: inputs)
    }
}
