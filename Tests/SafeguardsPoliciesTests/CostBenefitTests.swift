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
            steady: [OperationProfile(operationType: "summaries", averageCost: 1, averageBenefit: 2, benefitVariability: Amount(micros: 200_000))],
            risky: [OperationProfile(operationType: "research", averageCost: 1, averageBenefit: 3, benefitVariability: 4)],
            poor: [OperationProfile(operationType: "chatter", averageCost: 2, averageBenefit: 1, benefitVariability: Amount(micros: 100_000))],
        ])
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
                        benefitVariability: Amount(micros: Int64.random(in: 0...8_000_000, using: &random)))
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
