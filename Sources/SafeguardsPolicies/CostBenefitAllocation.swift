import SafeguardsCore

/// One kind of operation an agent performs, as the original's cost-benefit budgeting registers
/// it: what it costs on average, what it brings on average, and how much that benefit varies.
///
/// The original's `benefit_variability` is a fraction of the average benefit (`0.2 # 20%
/// variability`); ``init(operationType:averageCost:averageBenefit:benefitVariability:)`` takes
/// that form. What is kept is the absolute standard deviation, which is also accepted as it is.
public struct OperationProfile: Sendable, Hashable {
    public var operationType: String
    public var averageCost: Amount
    public var averageBenefit: Amount
    /// The standard deviation of one operation's benefit, in the benefit's unit.
    public var benefitStandardDeviation: Amount

    public init(operationType: String, averageCost: Amount, averageBenefit: Amount, benefitStandardDeviation: Amount) {
        self.operationType = operationType
        self.averageCost = averageCost
        self.averageBenefit = averageBenefit
        self.benefitStandardDeviation = benefitStandardDeviation
    }

    /// A profile whose benefit varies by `benefitVariability` of its average (0.2: a standard
    /// deviation of 20% of `averageBenefit`), as the original registers operations.
    public init(operationType: String, averageCost: Amount, averageBenefit: Amount, benefitVariability: Ratio) {
        self.init(
            operationType: operationType, averageCost: averageCost, averageBenefit: averageBenefit,
            benefitStandardDeviation: benefitVariability.of(averageBenefit))
    }

    /// The standard deviation as a fraction of the average benefit, to four decimals (rounded
    /// to nearest); nil when the average benefit is zero.
    public var benefitVariability: Ratio? {
        guard averageBenefit.isPositive else { return nil }
        let numerator = Int128(benefitStandardDeviation.micros) * 10_000
        let denominator = Int128(averageBenefit.micros)
        let basisPoints = (numerator + denominator / 2) / denominator
        return Ratio(basisPoints: Int64(clamping: basisPoints))
    }
}

/// Splits a total budget between agents to maximize risk-adjusted expected benefit.
///
/// **Objective.** An agent given budget `a` runs `a / cost` operations of its kind (its profiles
/// averaged), so its expected benefit is `μ·a` with `μ = benefit / cost` per unit of budget.
/// Its benefit's standard deviation grows like `σ·a` with `σ = deviation / cost`: an agent whose
/// operations bring 20% more or less than expected tends to do so across its work, so the
/// operations are not treated as independent draws (which would make risk vanish with volume).
/// Agents are independent of each other. Mean-variance, as in portfolio selection:
///
///     Σ μᵢ·aᵢ  −  (1 − t) · Σ σᵢ²·aᵢ² / (2·T)
///
/// where `t` is the risk tolerance and `T` the total (dividing by it keeps both terms in the
/// benefit's unit and makes the split scale with the total). At `t = 1` only the expected benefit
/// counts: everything beyond the minimums goes to the best ratio. At `t = 0` it is
/// `mean − variance / 2T`, a relative risk aversion of 1 (the second-order form of maximizing the
/// expected logarithm). In between, the share of the steadier agents grows as `t` falls, and an
/// agent whose work returns less than it costs gets no more than its minimum unless the others
/// are far riskier.
///
/// **Method.** Every agent first gets `min_allocation_percentage` of the total (split evenly), then
/// the rest is handed out in `steps` equal quanta, each to the agent whose objective gains most
/// from it. The objective is concave and separable, so this greedy choice is optimal for
/// allocations in whole quanta; the test checks it against brute force on small instances. The
/// arithmetic of the objective is floating point; the allocations are exact amounts that sum to
/// the total.
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
            deviation += Double(profile.benefitStandardDeviation.micros) / cost
        }
        return (mean / Double(list.count), deviation / Double(list.count))
    }

    /// The objective of an allocation (in budget units), for reporting and tests.
    public func objective(_ allocation: [AgentID: Amount], total: Amount, riskTolerance: Ratio) -> Double {
        let weight = Self.varianceWeight(riskTolerance, total: total)
        var value = 0.0
        for (agent, amount) in allocation {
            let (mean, deviation) = rates(of: agent)
            let units = Double(amount.micros) / 1_000_000
            value += mean * units - weight * deviation * deviation * units * units
        }
        return value
    }

    /// The expected benefit of an allocation and its standard deviation (agents independent),
    /// in the benefit's unit: what the objective trades against each other.
    public func outlook(_ allocation: [AgentID: Amount]) -> (expected: Double, deviation: Double) {
        var expected = 0.0
        var variance = 0.0
        for (agent, amount) in allocation {
            let (mean, deviation) = rates(of: agent)
            let units = Double(amount.micros) / 1_000_000
            expected += mean * units
            variance += deviation * deviation * units * units
        }
        return (expected, variance.squareRoot())
    }

    /// The objective's weight on the variance, `(1 − t) / 2T`.
    private static func varianceWeight(_ riskTolerance: Ratio, total: Amount) -> Double {
        let tolerance = Double(min(10_000, max(0, riskTolerance.basisPoints))) / 10_000
        return (1 - tolerance) / (2 * max(1, Double(total.micros) / 1_000_000))
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
        let weight = Self.varianceWeight(riskTolerance, total: total)
        let rates = Dictionary(uniqueKeysWithValues: ordered.map { ($0, self.rates(of: $0)) })
        func gain(_ agent: AgentID, from micros: Int64, adding extra: Int64) -> Double {
            let (mean, deviation) = rates[agent]!
            let before = Double(micros) / 1_000_000
            let after = Double(micros + extra) / 1_000_000
            return mean * (after - before) - weight * deviation * deviation * (after * after - before * before)
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
