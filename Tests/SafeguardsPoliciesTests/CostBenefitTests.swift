import SafeguardsCore
import SafeguardsPolicies
import SafeguardsTestKit
import Testing

@Suite("Cost-benefit allocation")
struct CostBenefitTests {
    static let steady = AgentID(unchecked: "steady")
    static let risky = AgentID(unchecked: "risky")
    static let poor = AgentID(unchecked: "poor")

    static func allocator() -> CostBenefitAllocator {
        CostBenefitAllocator(profiles: [
            steady: [OperationProfile(operationType: "summaries", averageCost: 1, averageBenefit: 2, benefitStandardDeviation: Amount(micros: 200_000))],
            risky: [OperationProfile(operationType: "research", averageCost: 1, averageBenefit: 3, benefitStandardDeviation: 4)],
            poor: [OperationProfile(operationType: "chatter", averageCost: 2, averageBenefit: 1, benefitStandardDeviation: Amount(micros: 100_000))],
        ])
    }

    static let agent0 = DocumentExamples.agent0
    static let agent1 = DocumentExamples.agent1

    /// The original's example: three operations over two agents, variability as a fraction of the
    /// benefit (`0.2 # 20% variability`).
    static func documentExample() -> CostBenefitAllocator { DocumentExamples.costBenefitAllocator() }

    /// `first` to agent_0, the rest of `total` to agent_1.
    static func split(_ total: Amount, first: Amount) -> [AgentID: Amount] {
        [agent0: first, agent1: Amount(micros: total.micros - first.micros)]
    }

    @Test func variabilityIsAFractionOfTheBenefit() {
        let profile = OperationProfile(
            operationType: "data_processing", averageCost: 5, averageBenefit: 15, benefitVariability: Ratio(basisPoints: 2000))
        #expect(profile.benefitStandardDeviation == 3)
        #expect(profile.benefitVariability == Ratio(basisPoints: 2000))
        let absolute = OperationProfile(operationType: "x", averageCost: 1, averageBenefit: 3, benefitStandardDeviation: 4)
        #expect(absolute.benefitVariability == Ratio(basisPoints: 13_333))
        #expect(OperationProfile(operationType: "x", averageCost: 1, averageBenefit: 0, benefitStandardDeviation: 1).benefitVariability == nil)
    }

    @Test func theDocumentsExampleMovesMonotonicallyWithRiskTolerance() throws {
        let allocator = Self.documentExample()
        var shares: [Amount] = []
        for tolerance in stride(from: 10_000, through: 0, by: -1_250) {
            let allocation = try allocator.optimize(
                agents: [Self.agent0, Self.agent1], total: 1000, minimum: Ratio(basisPoints: 1000),
                riskTolerance: Ratio(basisPoints: Int64(tolerance)))
            #expect(allocation.values.reduce(Int64(0)) { $0 + $1.micros } == Amount(1000).micros)
            #expect(allocation.values.allSatisfy { $0 >= 100 })
            shares.append(allocation[Self.agent0]!)
        }
        // agent_0 has the better ratio (2.75 against 2.5 per unit) and the wider spread (0.8 against
        // 0.75 per unit): at full tolerance it takes all it can; as tolerance falls budget moves to
        // agent_1, never back.
        #expect(shares.first == 900)
        #expect(shares == shares.sorted(by: >), "\(shares)")
        #expect(shares.last! < 700, "\(shares)")
        #expect(Set(shares).count >= 4, "the allocation moves at several tolerances: \(shares)")
        // Risk costs expected benefit and buys a smaller spread.
        let bold = allocator.outlook(Self.split(1000, first: shares.first!))
        let cautious = allocator.outlook(Self.split(1000, first: shares.last!))
        #expect(bold.expected > cautious.expected)
        #expect(bold.deviation > cautious.deviation)
    }

    @Test func theDocumentsExampleMatchesBruteForceOnAFineGrid() throws {
        let allocator = Self.documentExample()
        let agents = [Self.agent0, Self.agent1]
        for tolerance in [0, 2_500, 5_000, 7_500, 10_000] {
            let riskTolerance = Ratio(basisPoints: Int64(tolerance))
            let greedy = try allocator.optimize(
                agents: agents, total: 1000, minimum: Ratio(basisPoints: 1000), riskTolerance: riskTolerance, steps: 800)
            // Every split of the 800 beyond the minimums in whole units.
            var best = (value: -Double.infinity, share: Amount.zero)
            for share in 0...800 {
                let first = Amount(micros: Int64(100 + share) * 1_000_000)
                let value = allocator.objective(Self.split(1000, first: first), total: 1000, riskTolerance: riskTolerance)
                if value > best.value { best = (value, first) }
            }
            #expect(greedy[Self.agent0] == best.share, "tolerance \(riskTolerance)")
        }
    }

    @Test func theGreedyOptimumMatchesBruteForceOnSmallInstances() throws {
        var random = SeededRandom(seed: 11)
        for _ in 0..<60 {
            let agents = (0..<Int.random(in: 2...3, using: &random)).map { AgentID(unchecked: "a\($0)") }
            var profiles: [AgentID: [OperationProfile]] = [:]
            for agent in agents {
                profiles[agent] = [
                    OperationProfile(
                        operationType: "op", averageCost: Amount(micros: Int64.random(in: 100_000...5_000_000, using: &random)),
                        averageBenefit: Amount(micros: Int64.random(in: 0...10_000_000, using: &random)),
                        benefitStandardDeviation: Amount(micros: Int64.random(in: 0...8_000_000, using: &random)))
                ]
            }
            let allocator = CostBenefitAllocator(profiles: profiles)
            let tolerance = Ratio(basisPoints: Int64.random(in: 0...10_000, using: &random))
            let total: Amount = 12
            let steps = 12
            let minimum = Ratio(basisPoints: 500)
            let greedy = try allocator.optimize(agents: agents, total: total, minimum: minimum, riskTolerance: tolerance, steps: steps)
            // Brute force: every way to hand out the 12 quanta beyond the minimums.
            let floor = minimum.of(total).micros
            let quantum = (total.micros - floor * Int64(agents.count)) / Int64(steps)
            var best = -Double.infinity
            func search(_ index: Int, _ left: Int, _ current: [AgentID: Amount]) {
                if index == agents.count - 1 {
                    var allocation = current
                    allocation[agents[index]] = Amount(micros: floor + quantum * Int64(left))
                    best = max(best, allocator.objective(allocation, total: total, riskTolerance: tolerance))
                    return
                }
                for share in 0...left {
                    var next = current
                    next[agents[index]] = Amount(micros: floor + quantum * Int64(share))
                    search(index + 1, left - share, next)
                }
            }
            search(0, steps, [:])
            let found = allocator.objective(greedy, total: total, riskTolerance: tolerance)
            #expect(abs(found - best) < 1e-9, "greedy \(found) vs brute force \(best)")
            #expect(greedy.values.reduce(Int64(0)) { $0 + $1.micros } == total.micros)
            #expect(greedy.values.allSatisfy { $0.micros >= floor })
        }
    }

    @Test func everyAgentKeepsItsMinimumAndTheTotalIsExact() throws {
        let allocation = try Self.allocator().optimize(
            agents: [Self.steady, Self.risky, Self.poor], total: Amount(micros: 1_000_000_007), minimum: Ratio(basisPoints: 1000),
            riskTolerance: Ratio(basisPoints: 5000))
        #expect(allocation.values.reduce(Int64(0)) { $0 + $1.micros } == 1_000_000_007)
        #expect(allocation.values.allSatisfy { $0 >= Amount(micros: 100_000_000) })
        #expect(allocation[Self.poor] == Amount(micros: 100_000_000))  // never more than its minimum: it loses money
    }

    @Test func budgetMovesTowardSteadierOperationsAsRiskToleranceFalls() throws {
        var steadyShares: [Int64] = []
        for tolerance in [10_000, 7_500, 5_000, 2_500, 0] {
            let allocation = try Self.allocator().optimize(
                agents: [Self.steady, Self.risky, Self.poor], total: 1000, minimum: Ratio(basisPoints: 500),
                riskTolerance: Ratio(basisPoints: Int64(tolerance)))
            steadyShares.append(allocation[Self.steady]!.micros)
        }
        // At full tolerance the higher mean wins; as tolerance falls the steady agent gains.
        #expect(steadyShares.first == Amount(50).micros)
        #expect(steadyShares == steadyShares.sorted())
        #expect(steadyShares.last! > Amount(800).micros)
    }

    @Test func badParametersAreRefused() {
        let allocator = Self.allocator()
        #expect(throws: PolicyError.self) {
            _ = try allocator.optimize(agents: [Self.steady], total: 0, minimum: Ratio(basisPoints: 0), riskTolerance: Ratio(basisPoints: 0))
        }
        #expect(throws: PolicyError.self) {
            _ = try allocator.optimize(
                agents: [Self.steady, Self.risky, Self.poor], total: 10, minimum: Ratio(basisPoints: 4000), riskTolerance: Ratio(basisPoints: 0))
        }
    }
}
