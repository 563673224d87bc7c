import SafeguardsCore

/// What a policy knows of an agent when it decides.
public struct AgentUsage: Sendable, Hashable {
    public var id: AgentID
    public var priority: AgentPriority
    public var initialBudget: Amount
    /// Its whole budget: available + reserved + spent.
    public var budget: Amount
    /// Spent and reserved: what a new budget may never go below.
    public var used: Amount

    public init(id: AgentID, priority: AgentPriority, initialBudget: Amount, budget: Amount, used: Amount) {
        self.id = id
        self.priority = priority
        self.initialBudget = initialBudget
        self.budget = budget
        self.used = used
    }

    public var available: Amount { (try? budget.subtracting(used)) ?? .zero }
}

/// A new budget for one agent.
public struct AgentAdjustment: Sendable, Hashable {
    public var agent: AgentID
    public var proposal: PolicyProposal

    public init(agent: AgentID, proposal: PolicyProposal) {
        self.agent = agent
        self.proposal = proposal
    }
}

/// Priority-based reallocation, after the original `PriorityBasedReallocator`: a pool keeps
/// `reservePercentage` of its total back for emergencies; an agent whose available budget falls
/// below `emergencyThreshold` is topped up from that reserve at once (highest priority first); and
/// every `reallocationInterval` the budget not in use is redistributed in proportion to
/// `priorityWeights`, after every agent is given at least `minBudgetPercentage` of its initial
/// budget. Nothing is allocated that the pool and its agents do not hold.
public struct PriorityReallocation: Sendable, Hashable {
    public var reallocationInterval: Duration
    public var emergencyThreshold: Amount
    public var minBudgetPercentage: Ratio
    public var reservePercentage: Ratio
    public var priorityWeights: [AgentPriority: Ratio]

    public static let defaultWeights: [AgentPriority: Ratio] = [
        .critical: Ratio(basisPoints: 40_000), .high: Ratio(basisPoints: 20_000), .medium: Ratio(basisPoints: 10_000),
        .low: Ratio(basisPoints: 5_000), .minimal: Ratio(basisPoints: 2_500),
    ]

    public init(
        reallocationInterval: Duration = .seconds(1800), emergencyThreshold: Amount = 5,
        minBudgetPercentage: Ratio = Ratio(basisPoints: 1000), reservePercentage: Ratio = Ratio(basisPoints: 2000),
        priorityWeights: [AgentPriority: Ratio] = PriorityReallocation.defaultWeights
    ) {
        self.reallocationInterval = reallocationInterval
        self.emergencyThreshold = emergencyThreshold
        self.minBudgetPercentage = minBudgetPercentage
        self.reservePercentage = reservePercentage
        self.priorityWeights = priorityWeights
    }

    public func validate() throws(PolicyError) {
        guard reallocationInterval > .zero else { throw PolicyError("reallocation_interval must be positive") }
        guard emergencyThreshold >= .zero else { throw PolicyError("emergency_threshold must be 0 or more") }
        guard (0...10_000).contains(minBudgetPercentage.basisPoints), (0...10_000).contains(reservePercentage.basisPoints)
        else { throw PolicyError("min_budget_percentage and reserve_percentage must be between 0 and 1") }
        guard priorityWeights.values.allSatisfy({ $0.basisPoints >= 0 }) else {
            throw PolicyError("priority weights must be 0 or more")
        }
    }

    func weight(_ priority: AgentPriority) -> Int64 {
        (priorityWeights[priority] ?? Self.defaultWeights[priority] ?? Ratio(basisPoints: 10_000)).basisPoints
    }

    /// Emergency top-ups: every agent below the threshold gets up to the threshold from what the
    /// pool holds (its reserve), highest priority first, while it lasts.
    public func emergencies(pool: PoolUsage, agents: [AgentUsage]) -> [AgentAdjustment] {
        var left = pool.available
        var adjustments: [AgentAdjustment] = []
        let needy = agents.filter { $0.available < emergencyThreshold }
            .sorted { ($0.priority.rank, $1.id) > ($1.priority.rank, $0.id) }
        for agent in needy where left.isPositive {
            let need = (try? emergencyThreshold.subtracting(agent.available)) ?? .zero
            let grant = min(need, left)
            guard grant.isPositive, let newBudget = try? agent.budget.adding(grant) else { continue }
            left = (try? left.subtracting(grant)) ?? .zero
            adjustments.append(
                AgentAdjustment(
                    agent: agent.id,
                    proposal: PolicyProposal(
                        oldValue: agent.budget, newValue: newBudget,
                        reason: "emergency: available \(agent.available) below threshold \(emergencyThreshold); topped up from the reserve",
                        inputs: ["available": agent.available.description, "threshold": emergencyThreshold.description,
                            "priority": agent.priority.rawValue])))
        }
        return adjustments
    }

    /// Redistribution of everything not in use (agents' available budget plus the pool's, less
    /// the reserve): minimums first, the rest by weight. Returns the agents whose budget changes;
    /// the sum of new available budgets never exceeds what was free.
    public func reallocate(pool: PoolUsage, agents: [AgentUsage]) -> [AgentAdjustment] {
        guard !agents.isEmpty else { return [] }
        var free: Int128 = Int128(pool.available.micros)
        for agent in agents { free += Int128(agent.available.micros) }
        let reserve = min(free, Int128(reservePercentage.of(pool.total).micros))
        let distributable = free - reserve
        // Each agent's floor: enough available to bring its budget to min% of its initial budget.
        let floors: [Int128] = agents.map { agent in
            let minimum = Int128(minBudgetPercentage.of(agent.initialBudget).micros)
            return max(0, minimum - Int128(agent.used.micros))
        }
        let floorSum = floors.reduce(0, +)
        var targets: [Int128]
        if floorSum >= distributable {
            // Not even the minimums fit: share what there is in proportion to them.
            targets = floors.map { floorSum == 0 ? 0 : $0 * max(0, distributable) / floorSum }
        } else {
            let rest = distributable - floorSum
            let weights = agents.map { Int128(weight($0.priority)) }
            let weightSum = weights.reduce(0, +)
            targets = zip(floors, weights).map { floor, weight in floor + (weightSum == 0 ? 0 : rest * weight / weightSum) }
        }
        var adjustments: [AgentAdjustment] = []
        for (agent, target) in zip(agents, targets) {
            let newBudget = Amount(micros: Int64(clamping: Int128(agent.used.micros) + target))
            guard newBudget != agent.budget else { continue }
            adjustments.append(
                AgentAdjustment(
                    agent: agent.id,
                    proposal: PolicyProposal(
                        oldValue: agent.budget, newValue: newBudget,
                        reason: "reallocation by priority \(agent.priority.rawValue) (weight \(Ratio(basisPoints: weight(agent.priority))))",
                        inputs: ["free": Amount(micros: Int64(clamping: free)).description,
                            "reserve": Amount(micros: Int64(clamping: reserve)).description,
                            "priority": agent.priority.rawValue])))
        }
        // Decreases first, so the pool holds what the increases need.
        return adjustments.sorted { ($0.proposal.newValue < $0.proposal.oldValue) && !($1.proposal.newValue < $1.proposal.oldValue) }
    }
}
