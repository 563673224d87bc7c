import SafeguardsAPI
@testable import SafeguardsCore
@testable import SafeguardsNode
import Testing

/// `/metrics` shows a caller with the token each agent's and each pool's budget as exact decimals,
/// labelled by agent and pool, and the agents at each alert level per pool; without it, none.
@Suite("Budget gauges", .timeLimit(.minutes(5)))
struct BudgetGaugeTests {
    @Test func agentsAndPoolsAreGaugedExactlyWithTheirAlertLevels() async throws {
        try await TestNode.with { client, _ in
            let pool = try await client.createPool(CreatePoolRequest(name: "research", initialBudget: 1000, priority: 5))
            for agent in ["coder", "writer"] {
                _ = try await client.registerAgent(
                    RegisterAgentRequest(agentID: agent, poolID: pool.id, priority: "MEDIUM", initialBudget: 100))
            }
            _ = try await client.spend(agent: "coder", SpendRequest(amount: try Amount(parsing: "80.125")))
            let reservation = try await client.reserve(agent: "coder", ReserveRequest(amount: try Amount(parsing: "0.5")))
            _ = try await client.spend(agent: "writer", SpendRequest(amount: 1))

            let lines = Set(try await client.metrics().split(separator: "\n").map(String.init))
            let coder = #"{agent="coder",pool="\#(pool.id)"}"#
            let writer = #"{agent="writer",pool="\#(pool.id)"}"#
            let research = #"pool="\#(pool.id)",name="research""#
            for expected in [
                "safeguards_agent_spent\(coder) 80.125000", "safeguards_agent_reserved\(coder) 0.500000",
                "safeguards_agent_available\(coder) 19.375000", "safeguards_agent_total\(coder) 100.000000",
                "safeguards_agent_alert_level\(coder) 1", "safeguards_agent_alert_level\(writer) 0",
                "safeguards_agent_spent\(writer) 1.000000",
                "safeguards_pool_available{\(research)} 800.000000", "safeguards_pool_spent{\(research)} 81.125000",
                "safeguards_pool_agents_alerting{\(research),level=\"warning\"} 1",
                "safeguards_pool_agents_alerting{\(research),level=\"critical\"} 0",
                "safeguards_agents_not_exported 0",
            ] {
                #expect(lines.contains(expected), "missing \(expected)")
            }
            let anonymous = try await client.metrics(authorized: false)
            #expect(anonymous.contains("safeguards_store_commits"))
            #expect(!anonymous.contains("safeguards_agent_") && !anonymous.contains("safeguards_pool_"))
            _ = try await client.release(reservation: reservation.reservationID)
            let after = Set(try await client.metrics().split(separator: "\n").map(String.init))
            #expect(after.contains("safeguards_agent_reserved\(coder) 0.000000"))
        }
    }

    @Test func aScrapeShowsAtMostTheLimitOfAgentsAndCountsTheRest() throws {
        let pool = Pool(
            id: PoolID(unchecked: "p"), name: #"a "quoted" \ name"#, priority: try PoolPriority(5),
            metadata: [:], createdAt: Timestamp(millisecondsSince1970: 0), creationKey: nil)
        let agents = (0..<5).map { index in
            AgentSnapshot(
                agent: Agent(
                    id: AgentID(unchecked: "a\(index)"), poolID: pool.id, priority: .medium, initialBudget: .zero,
                    createdAt: Timestamp(millisecondsSince1970: 0), creationKey: nil, alertLevel: index == 4 ? .critical : .normal),
                available: .zero, reserved: .zero, spent: .zero, total: .zero, period: nil, spentThisPeriod: .zero)
        }
        let text = BudgetGauges.render(pools: [], agents: agents, maximumAgents: 3)
        #expect(text.contains("safeguards_agents_not_exported 2\n"))
        #expect(text.contains(#"safeguards_agent_spent{agent="a2",pool="p"} 0.000000"#))
        #expect(!text.contains(#"agent="a3""#))
        #expect(BudgetGauges.escaped(pool.name) == #"a \"quoted\" \\ name"#)
    }
}
