import SafeguardsCore

/// One kind of operation an agent performs, as the original's cost-benefit budgeting registers
/// it: what it costs on average, what it brings on average, and how much that benefit varies.
public struct OperationProfile: Sendable, Hashable {
    public var operationType: String
    public var averageCost: Amount
    public var averageBenefit: Amount
    /// The standard deviation of the benefit, in the benefit's unit.
    public var benefitVariability: Amount

    public init(operationType: String, averageCost: Amount, averageBenefit: Amount, benefitVariability: Amount) {
        self.operationType = operationType
        self.averageCost = averageCost
        self.averageBenefit = averageBenefit
        self.benefitVariability = benefitVariability
    }
}

/// Splits a total budget between agents to maximize risk-adjusted expected benefit.
///
/// **Objective.** An agent given budget `a` runs `a / cost` operations of its kind (its profiles
/// averaged), so its expected benefit is `μ·a` with `μ = benefit / cost` per unit of budget, and
/// its standard deviation grows like `σ·a` with `σ = variability / cost`. Mean-variance, as in
/// portfolio selection: maximize `Σ μᵢ·aᵢ − λ·Σ σᵢ²·aᵢ² / (2·T)` where `T` is the total and
/// `λ = 1 − risk_tolerance`. At risk tolerance 1 only the expected benefit counts (everything
/// beyond the minimums goes to the best ratio); as tolerance falls, variance costs more and
/// budget moves toward steadier operations. Dividing by `T` keeps the two terms in the same unit.
///
/// **Method.** Every agent first gets `min_allocation_percentage` of the total (split evenly), then
/// the rest is handed out in `steps` equal quanta, each to the agent whose objective gains most
/// from it. The objective is concave and separable, so this greedy choice is optimal for
/// allocations in whole quanta; the test checks it against brute force on small instances.
public struct CostBenefitAllocator: Sendable {
    public var profiles: [AgentID: [OperationProfile]]

    public init(profiles: [AgentID: [OperationProfile]]) {
        self.profiles = profiles
    }

    /// Per unit of budget: expected benefit and its standard deviation, from an agent's profiles
    /// (averaged over operation types).
    public func rates(of agent: AgentID) -> (mean: Double, deviation: Double) {
        let list = (profiles[agent] ?? []).filter { $0.averageCost.isPositive }
        guard !list.isEmpty else { return (0, 0) }
        var mean = 0.0
        var deviation = 0.0
        for profile in list {
            let cost = Double(profile.averageCost.micros)
            mean += Double(profile.averageBenefit.micros) / cost
            deviation += Double(profile.benefitVariability.micros) / cost
        }
        return (mean / Double(list.count), deviation / Double(list.count))
    }

    /// The objective of an allocation (in budget units), for reporting and tests.
    public func objective(_ allocation: [AgentID: Amount], total: Amount, riskTolerance: Ratio) -> Double {
        let lambda = 1 - Double(min(10_000, max(0, riskTolerance.basisPoints))) / 10_000
        let scale = max(1, Double(total.micros) / 1_000_000)
        var value = 0.0
        for (agent, amount) in allocation {
            let (mean, deviation) = rates(of: agent)
            let units = Double(amount.micros) / 1_000_000
            value += mean * units - lambda * deviation * deviation * units * units / (2 * scale)
        }
        return value
    }

    /// The allocation of `total` over `agents` (sorted; every agent gets at least its share of
    /// `minimum`), in `steps` quanta beyond the minimums.
    public func optimize(
        agents: [AgentID], total: Amount, minimum: Ratio, riskTolerance: Ratio, steps: Int = 1000
    ) throws(PolicyError) -> [AgentID: Amount] {
        guard !agents.isEmpty else { return [:] }
        guard total.isPositive else { throw PolicyError("total_budget must be positive") }
        guard (0...10_000).contains(minimum.basisPoints), minimum.basisPoints * Int64(agents.count) <= 10_000 else {
            throw PolicyError("min_allocation_percentage × agents must not exceed 1")
        }
        guard (0...10_000).contains(riskTolerance.basisPoints) else { throw PolicyError("risk_tolerance must be between 0 and 1") }
        let ordered = agents.sorted()
        var allocation: [AgentID: Amount] = [:]
        let floor = minimum.of(total)
        for agent in ordered { allocation[agent] = floor }
        let rest = total.micros - floor.micros * Int64(ordered.count)
        guard rest > 0 else { return allocation }
        let count = Int64(max(1, min(steps, Int(rest))))
        let quantum = rest / count
        var remainder = rest - quantum * count
        let lambda = 1 - Double(riskTolerance.basisPoints) / 10_000
        let scale = max(1, Double(total.micros) / 1_000_000)
        let rates = Dictionary(uniqueKeysWithValues: ordered.map { ($0, self.rates(of: $0)) })
        func gain(_ agent: AgentID, from micros: Int64, adding extra: Int64) -> Double {
            let (mean, deviation) = rates[agent]!
            let before = Double(micros) / 1_000_000
            let after = Double(micros + extra) / 1_000_000
            return mean * (after - before) - lambda * deviation * deviation * (after * after - before * before) / (2 * scale)
        }
        for _ in 0..<count {
            var extra = quantum
            if remainder > 0 {
                extra += 1
                remainder -= 1
            }
            // Ties go to the first agent in id order, so the result is deterministic.
            var best = ordered[0]
            var bestGain = -Double.infinity
            for agent in ordered {
                let value = gain(agent, from: allocation[agent]!.micros, adding: extra)
                if value > bestGain + 1e-12 {
                    best = agent
                    bestGain = value
                }
            }
            allocation[best] = Amount(micros: allocation[best]!.micros + extra)
        }
        return allocation
    }
}
