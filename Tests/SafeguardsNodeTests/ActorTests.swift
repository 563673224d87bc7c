import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import Testing

/// Every change made through the API names who made it: the transfers of pool funding, agent
/// registration and budget updates carry `api_key_id` (the key's id, or `admin-token` for the
/// configured token), and the decision log names the actor of a decision made on request.
@Suite("Changes name their actor", .timeLimit(.minutes(5)))
struct ActorTests {
    @Test func adminChangesNameTheKeyOrTheTokenOnTheirTransfers() async throws {
        try await TestNode.with { (client, _) async throws in
            let created = try await client.createAPIKey(CreateAPIKeyRequest(name: "ops", role: "admin"))
            let admin = APIKeyTests.client(client, key: try #require(created.key))
            defer { Task { await admin.shutdown() } }

            let byKey = try await admin.createPool(CreatePoolRequest(name: "keyed", initialBudget: 500, priority: 5))
            _ = try await admin.registerAgent(
                RegisterAgentRequest(agentID: "coder", poolID: byKey.id, priority: "HIGH", initialBudget: 100))
            _ = try await admin.updateBudget(agent: "coder", UpdateBudgetRequest(budget: 150, reason: "more work"))
            let byToken = try await client.createPool(CreatePoolRequest(name: "tokened", initialBudget: 300, priority: 5))

            let keyed = try await client.transfers(TransferQuery(poolID: byKey.id)).transfers
            let kinds = Dictionary(grouping: keyed, by: { $0.metadata["kind"] ?? "" })
            #expect(Set(kinds.keys).isSuperset(of: ["pool_funding", "agent_allocation", "budget_update"]))
            for transfer in keyed where ["pool_funding", "agent_allocation", "budget_update"].contains(transfer.metadata["kind"]) {
                #expect(transfer.metadata["api_key_id"] == created.id, "\(transfer.id): \(transfer.metadata)")
            }
            let funding = try await client.transfer("fund:\(byToken.id)")
            #expect(funding.metadata["api_key_id"] == "admin-token")

            let spend = try await admin.spend(agent: "coder", SpendRequest(amount: 1))
            #expect(spend.metadata["api_key_id"] == created.id)
        }
    }

    @Test func aDecisionMadeOnRequestNamesItsActorAndATickDoesNot() async throws {
        try await TestNode.with { (client, _) async throws in
            let created = try await client.createAPIKey(CreateAPIKeyRequest(name: "ops", role: "admin"))
            let admin = APIKeyTests.client(client, key: try #require(created.key))
            defer { Task { await admin.shutdown() } }
            let pool = try await client.createPool(CreatePoolRequest(name: "research", initialBudget: 500, priority: 5))

            _ = try await admin.freeze(pool: pool.id)
            _ = try await client.unfreeze(pool: pool.id)
            let decisions = try await client.decisions(pool: pool.id).decisions
            let freeze = try #require(decisions.first { $0.policy == "override.freeze" })
            let unfreeze = try #require(decisions.first { $0.policy == "override.unfreeze" })
            #expect(freeze.actor == created.id)
            #expect(unfreeze.actor == "admin-token")
            #expect(freeze.oldValue == 500 && freeze.newValue == 500)
        }
    }
}

extension CLITests {
    @Test func theDecisionLogShowsWhoFrozeThePool() async throws {
        try await Self.withNode { directory, _, work in
            let base = ["--data-dir", directory]
            let freeze = try await CLIRun.run(["policy", "freeze", "--pool", "research"] + base, in: work)
            #expect(freeze.status == 0, "\(freeze.stderr)")
            let log = try await CLIRun.run(["policy", "decisions", "--pool", "research"] + base, in: work)
            #expect(log.status == 0, "\(log.stderr)")
            let row = try #require(log.stdout.split(separator: "\n").first { $0.contains("override.freeze") })
            #expect(row.contains("admin-token"), "\(log.stdout)")
        }
    }
}
