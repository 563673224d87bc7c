import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

/// `POST /v1/cost-benefit/optimize` with `apply: true` changes the agents' budgets as one linked
/// batch (all or none), never on a frozen pool, and within `max_change_per_step` unless an
/// operator overrides it, which the decision log names.
@Suite("Applying an optimized allocation", .timeLimit(.minutes(5)))
struct AllocationApplyTests {
    static let agents = ["a1", "a2", "a3"]

    /// A pool of `poolBudget` with three agents of 75 each, every one with a registered operation.
    static func prepare(_ client: SafeguardsClient, poolBudget: String) async throws -> Fixture {
        let fixture = try await Fixture.make(client, poolBudget: poolBudget, agents: agents.map { ($0, "75") })
        for (index, agent) in agents.enumerated() {
            _ = try await client.registerOperation(
                OperationProfileBody(
                    agentID: agent, operationType: "work", averageCost: 1, averageBenefit: Amount(micros: Int64(2 + index) * 1_000_000),
                    benefitStddev: Amount(micros: 500_000)))
        }
        return fixture
    }

    static func request(total: Amount, override: Bool? = nil) -> OptimizeRequest {
        OptimizeRequest(totalBudget: total, minAllocationPercentage: "0.1", riskTolerance: "0.5", apply: true, operatorOverride: override)
    }

    static func budgets(_ client: SafeguardsClient) async throws -> [Amount] {
        var budgets: [Amount] = []
        for agent in agents { budgets.append(try await client.agent(agent).budget.total) }
        return budgets
    }

    static func expectBalanced(_ client: SafeguardsClient) async throws {
        let check = try await client.ledgerCheck()
        #expect(check.balanced && check.debits == check.credits && check.overdrawnAccounts.isEmpty, "\(check)")
    }

    @Test func aRefusedApplyChangesNoAgent() async throws {
        try await TestNode.with { client, _ in
            // 775 available in the pool: far less than a split of 3000 asks for.
            _ = try await Self.prepare(client, poolBudget: "1000")
            do {
                _ = try await client.optimize(Self.request(total: 3000, override: true))
                Issue.record("an apply the pool cannot fund was accepted")
            } catch let error as APIClientError {
                #expect(error.code == "insufficient_budget", "\(error)")
                #expect(error.description.contains("no agent was changed"), "\(error)")
            }
            #expect(try await Self.budgets(client) == [75, 75, 75])
            try await Self.expectBalanced(client)
            let logged = try await client.decisions().decisions
            #expect(!logged.contains { $0.policy.hasSuffix("cost_benefit") }, "\(logged.map(\.policy))")
        }
    }

    @Test func aFrozenPoolRefusesTheApplyAndLogsNothingApplied() async throws {
        try await TestNode.with { client, _ in
            let fixture = try await Self.prepare(client, poolBudget: "5000")
            _ = try await client.freeze(pool: fixture.pool.id)
            for override in [nil, true] as [Bool?] {
                do {
                    _ = try await client.optimize(Self.request(total: 300, override: override))
                    Issue.record("an apply to a frozen pool was accepted")
                } catch let error as APIClientError {
                    #expect(error.code == "conflict")
                    #expect(error.description.contains("frozen") && error.description.contains("no agent was changed"))
                }
            }
            #expect(try await Self.budgets(client) == [75, 75, 75])
            #expect(try await client.decisions(pool: fixture.pool.id).decisions.map(\.policy) == ["override.freeze"])
            // Without apply, a frozen pool still gets its allocation computed.
            var look = Self.request(total: 300)
            look.apply = nil
            #expect(try await client.optimize(look).applied == false)
            try await Self.expectBalanced(client)
        }
    }

    @Test func aLargeChangeIsClippedToTheStepUnlessAnOperatorOverridesIt() async throws {
        try await TestNode.with { client, _ in
            _ = try await Self.prepare(client, poolBudget: "5000")
            // The default step is 0.5: from 75, at most 112.5 and at least 37.5.
            let clipped = try await client.optimize(Self.request(total: 1500))
            let now = try await Self.budgets(client)
            for (index, agent) in Self.agents.enumerated() {
                let wanted = try #require(clipped.allocations[agent])
                let expected = min(max(wanted, Amount(micros: 37_500_000)), Amount(micros: 112_500_000))
                #expect(now[index] == expected, "\(agent): wanted \(wanted)")
                #expect(clipped.appliedBudgets?[agent] == expected)
            }
            let stepped = try await client.decisions().decisions.filter { $0.policy == "cost_benefit" }
            #expect(!stepped.isEmpty && stepped.allSatisfy { $0.reason.contains("limited to") && $0.actor == "admin-token" })
            try await Self.expectBalanced(client)

            // An operator's override applies the allocation in full, and the log says so.
            let full = try await client.optimize(Self.request(total: 1500, override: true))
            #expect(try await Self.budgets(client) == Self.agents.map { full.allocations[$0]! })
            #expect(full.appliedBudgets == full.allocations)
            let overrides = try await client.decisions().decisions.filter { $0.policy == "override.cost_benefit" }
            #expect(overrides.count == Self.agents.count)
            #expect(overrides.allSatisfy { $0.inputs["operator_override"] == "true" && $0.reason.contains("operator override") })
            try await Self.expectBalanced(client)
        }
    }

    @Test func anOverrideWithoutApplyIsRefused() async throws {
        try await TestNode.with { client, _ in
            _ = try await Self.prepare(client, poolBudget: "5000")
            var request = Self.request(total: 300, override: true)
            request.apply = nil
            await #expect { try await client.optimize(request) } throws: { ($0 as? APIClientError)?.code == "invalid_request" }
        }
    }
}
