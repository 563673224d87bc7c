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
/// `adjustmentInterval` the pool grows by `growthRate` when utilization (used / total) is above
/// `utilizationTarget`, and shrinks by `shrinkRate` when below. Never outside
/// [`minPoolBudget`, `maxPoolBudget`], never below what its agents already hold, and not at all
/// with fewer than `minAgentsForAdjustment` agents (too little data).
public struct AdaptivePoolSizing: Sendable, Hashable {
    public var adjustmentInterval: Duration
    public var minPoolBudget: Amount
    public var maxPoolBudget: Amount
    public var utilizationTarget: Ratio
    public var growthRate: Ratio
    public var shrinkRate: Ratio
    public var minAgentsForAdjustment: Int

    public init(
        adjustmentInterval: Duration = .seconds(3600), minPoolBudget: Amount, maxPoolBudget: Amount,
        utilizationTarget: Ratio = Ratio(basisPoints: 7000), growthRate: Ratio = Ratio(basisPoints: 2000),
        shrinkRate: Ratio = Ratio(basisPoints: 1000), minAgentsForAdjustment: Int = 3
    ) {
        self.adjustmentInterval = adjustmentInterval
        self.minPoolBudget = minPoolBudget
        self.maxPoolBudget = maxPoolBudget
        self.utilizationTarget = utilizationTarget
        self.growthRate = growthRate
        self.shrinkRate = shrinkRate
        self.minAgentsForAdjustment = minAgentsForAdjustment
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
    }

    /// The new total for a pool in `usage`, or `nil` to leave it.
    public func propose(_ usage: PoolUsage) -> PolicyProposal? {
        guard usage.agentCount >= minAgentsForAdjustment, usage.total.isPositive || minPoolBudget.isPositive else {
            return nil
        }
        let utilization = usage.used.basisPoints(of: usage.total)
        let inputs = [
            "utilization": Ratio(basisPoints: utilization).description, "target": utilizationTarget.description,
            "agents": String(usage.agentCount), "total": usage.total.description, "used": usage.used.description,
        ]
        // What the agents hold cannot be taken back by sizing.
        let held = (try? usage.total.subtracting(usage.available)) ?? .zero
        let floor = max(minPoolBudget, held)
        var target = usage.total
        var reason: String
        if utilization > utilizationTarget.basisPoints {
            target = (try? usage.total.adding(growthRate.of(usage.total))) ?? maxPoolBudget
            reason = "utilization \(Ratio(basisPoints: utilization)) above target \(utilizationTarget): grow by \(growthRate)"
        } else if utilization < utilizationTarget.basisPoints {
            target = (try? usage.total.subtracting(shrinkRate.of(usage.total))) ?? floor
            reason = "utilization \(Ratio(basisPoints: utilization)) below target \(utilizationTarget): shrink by \(shrinkRate)"
        } else {
            return nil
        }
        if target > maxPoolBudget {
            target = maxPoolBudget
            reason += ", capped at max_pool_budget \(maxPoolBudget)"
        }
        if target < floor {
            target = floor
            reason += floor == held ? ", floored at what agents hold (\(held))" : ", floored at min_pool_budget \(minPoolBudget)"
        }
        // Bounds may also pull a pool that is outside them back in, whatever the utilization.
        guard target != usage.total else { return nil }
        return PolicyProposal(oldValue: usage.total, newValue: target, reason: reason, inputs: inputs)
    }
}
