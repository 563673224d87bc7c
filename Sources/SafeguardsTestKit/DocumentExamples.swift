import SafeguardsCore
import SafeguardsPolicies

/// The original framework's documented examples, as tests and benchmarks check them.
public enum DocumentExamples {
    public static let agent0 = AgentID(unchecked: "agent_0")
    public static let agent1 = AgentID(unchecked: "agent_1")

    /// Cost-benefit budgeting: three operations over two agents, their variability a fraction of
    /// the benefit (`0.2 # 20% variability`).
    public static func costBenefitAllocator() -> CostBenefitAllocator {
        CostBenefitAllocator(profiles: [
            agent0: [
                OperationProfile(
                    operationType: "data_processing", averageCost: 5, averageBenefit: 15, benefitVariability: Ratio(basisPoints: 2000)),
                OperationProfile(
                    operationType: "content_generation", averageCost: 10, averageBenefit: 25,
                    benefitVariability: Ratio(basisPoints: 4000)),
            ],
            agent1: [
                OperationProfile(
                    operationType: "data_analysis", averageCost: 20, averageBenefit: 50, benefitVariability: Ratio(basisPoints: 3000))
            ],
        ])
    }
}
