import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

/// `POST /v1/pools/{id}/top-up|withdraw|close` and `POST /v1/agents/{id}/close` through the HTTP
/// API: each moves exactly its amount through the ledger, which stays balanced; every refusal
/// loses nothing; agent keys are refused; and the state survives a restart.
@Suite("Pool funding and closing routes", .timeLimit(.minutes(5)))
struct PoolFundingRouteTests {
    /// The ledger check passes and no account is overdrawn.
    static func expectBalanced(_ client: SafeguardsClient, sourceLocation: SourceLocation = #_sourceLocation)
        async throws
    {
        let check = try await client.ledgerCheck(full: true)
        #expect(check.balanced, "\(check)", sourceLocation: sourceLocation)
        #expect(check.overdrawnAccounts.isEmpty, sourceLocation: sourceLocation)
    }

    static func code(_ body: () async throws -> some Any) async -> String? {
        do {
            _ = try await body()
            return nil
        } catch let error as APIClientError {
            return error.code
        } catch {
            return "\(error)"
        }
    }

    @Test func topUpAndWithdrawMoveExactlyAndRefusalsLoseNothing() async throws {
        try await TestNode.with { client, _ in
            let fixture = try await Fixture.make(client, poolBudget: "1000", agents: [("a1", "100")])
            let pool = fixture.pool.id
            let up = try await client.topUpPool(
                pool, PoolFundsRequest(amount: Amount(parsing: "250.5"), reason: "q3", idempotencyKey: "up-1"))
            #expect(up.pool.available == (try Amount(parsing: "1150.5")))
            #expect(up.pool.total == (try Amount(parsing: "1250.5")))
            #expect(up.transfer.debitAccount == "funding" && up.transfer.creditAccount == "pool:\(pool)")
            #expect(up.transfer.reason == "q3")
            #expect(up.transfer.metadata["api_key_id"] == "admin-token")
            try await Self.expectBalanced(client)
            // A retry with the same key is the same transfer; nothing moves twice.
            let again = try await client.topUpPool(
                pool, PoolFundsRequest(amount: Amount(parsing: "250.5"), reason: "q3", idempotencyKey: "up-1"))
            #expect(again.transfer.id == up.transfer.id)
            #expect(again.pool.available == up.pool.available)

            let down = try await client.withdrawFromPool(pool, PoolFundsRequest(amount: 150, reason: "back"))
            #expect(down.pool.available == (try Amount(parsing: "1000.5")))
            #expect(down.transfer.creditAccount == "funding")
            try await Self.expectBalanced(client)

            let before = try await client.pool(pool)
            for (label, refused) in [
                (
                    "over-withdraw",
                    { try await client.withdrawFromPool(pool, PoolFundsRequest(amount: 1001, reason: "r")) }
                ),
                ("zero", { try await client.topUpPool(pool, PoolFundsRequest(amount: 0, reason: "r")) }),
                ("negative", { try await client.withdrawFromPool(pool, PoolFundsRequest(amount: -3, reason: "r")) }),
                ("huge", { try await client.topUpPool(pool, PoolFundsRequest(amount: .max, reason: "r")) }),
                ("no reason", { try await client.topUpPool(pool, PoolFundsRequest(amount: 1, reason: "")) }),
                (
                    "unknown pool",
                    { try await client.topUpPool("pool_nowhere", PoolFundsRequest(amount: 1, reason: "r")) }
                ),
            ] as [(String, () async throws -> PoolFundsBody)] {
                let code = await Self.code(refused)
                let expected = [
                    "over-withdraw": "insufficient_budget", "zero": "invalid_amount", "negative": "invalid_amount",
                    "huge": "invalid_amount", "no reason": "invalid_request", "unknown pool": "not_found",
                ][label]
                #expect(code == expected, "\(label)")
            }
            #expect(try await client.pool(pool) == before)
            try await Self.expectBalanced(client)
        }
    }

    @Test func closingAnAgentReturnsItsBudgetToItsPoolAndItRefusesReservations() async throws {
        try await TestNode.with { client, _ in
            let fixture = try await Fixture.make(client, poolBudget: "1000", agents: [("a1", "100")])
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 30))
            let reservation = try await client.reserve(agent: "a1", ReserveRequest(amount: 20))
            #expect(await Self.code { try await client.closeAgent("a1", reason: "done") } == "reservations_pending")
            #expect(try await client.agent("a1").closedAt == nil)
            _ = try await client.release(reservation: reservation.reservationID)

            let closed = try await client.closeAgent("a1", reason: "project over")
            #expect(closed.agent.closedAt != nil)
            #expect(closed.agent.budget.available == .zero)
            #expect(closed.transfers.map(\.amount) == [70])
            #expect(closed.transfers.first?.creditAccount == "pool:\(fixture.pool.id)")
            #expect(try await client.pool(fixture.pool.id).available == 970)
            try await Self.expectBalanced(client)

            #expect(await Self.code { try await client.reserve(agent: "a1", ReserveRequest(amount: 1)) } == "closed")
            #expect(await Self.code { try await client.spend(agent: "a1", SpendRequest(amount: 1)) } == "closed")
            #expect(
                await Self.code {
                    try await client.updateBudget(agent: "a1", UpdateBudgetRequest(budget: 5, reason: "r"))
                }
                    == "closed")
            #expect(try await client.agents().agents.first { $0.agentID == "a1" }?.closedAt != nil)
            // Closing again answers the closed agent and moves nothing.
            let again = try await client.closeAgent("a1", reason: "again")
            #expect(again.transfers.isEmpty)
            #expect(try await client.pool(fixture.pool.id).available == 970)
            #expect(await Self.code { try await client.closeAgent("nobody", reason: "r") } == "not_found")
        }
    }

    @Test func closingAPoolReturnsEverythingToFundingAndSurvivesARestart() async throws {
        let directory = try makeTemporaryDirectory()
        let poolID = try await TestNode.with(dataDirectory: directory) { client, _ in
            let fixture = try await Fixture.make(client, poolBudget: "1000", agents: [("a1", "100"), ("a2", "50")])
            let pool = fixture.pool.id
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 40))
            let reservation = try await client.reserve(agent: "a2", ReserveRequest(amount: 5))
            #expect(await Self.code { try await client.closePool(pool, reason: "wind down") } == "reservations_pending")
            #expect(try await client.pool(pool).closedAt == nil)
            _ = try await client.settle(reservation: reservation.reservationID, amount: 5)

            let closed = try await client.closePool(pool, reason: "wind down")
            #expect(closed.agentsClosed == 2)
            #expect(closed.transfer?.amount == 955)
            #expect(closed.transfer?.creditAccount == "funding")
            #expect(closed.pool.closedAt != nil)
            #expect(closed.pool.available == .zero && closed.pool.allocated == .zero && closed.pool.spent == 45)
            try await Self.expectBalanced(client)
            let closing = try await client.transfers(TransferQuery(poolID: pool, kind: "closing"))
            #expect(closing.transfers.count == 3)
            #expect(
                await Self.code { try await client.topUpPool(pool, PoolFundsRequest(amount: 1, reason: "r")) }
                    == "closed")
            #expect(
                await Self.code {
                    try await client.registerAgent(
                        RegisterAgentRequest(agentID: "a3", poolID: pool, priority: "LOW", initialBudget: 0))
                } == "closed")
            return pool
        }
        try await TestNode.with(dataDirectory: directory) { client, _ in
            let pool = try await client.pool(poolID)
            #expect(pool.closedAt != nil)
            #expect(pool.available == .zero && pool.spent == 45)
            #expect(try await client.agents(pool: poolID).agents.allSatisfy { $0.closedAt != nil })
            #expect(await Self.code { try await client.spend(agent: "a1", SpendRequest(amount: 1)) } == "closed")
            try await Self.expectBalanced(client)
        }
    }

    @Test func aClosedAgentAsksNoPeerForBudget() async throws {
        try await TestNode.withFederated("system_a") { client, _, _ in
            _ = try await Fixture.make(client, agents: [("a1", "100")])
            _ = try await client.closeAgent("a1", reason: "done")
            let code = await Self.code {
                try await client.requestRemoteBudget(
                    RemoteBudgetRequest(agentID: "a1", remoteSystemID: "system_b", amount: 5))
            }
            #expect(code == "closed")
            #expect(try await client.federationTransactions().transactions.isEmpty)
        }
    }

    @Test func anAgentKeyMayNotFundOrClose() async throws {
        try await TestNode.with { client, _ in
            let fixture = try await Fixture.make(client, agents: [("a1", "100")])
            let created = try await client.createAPIKey(
                CreateAPIKeyRequest(name: "a1 key", role: "agent", agentIDs: ["a1"]))
            let agentClient = SafeguardsClient(
                host: client.endpoint.host, port: client.endpoint.port, token: try #require(created.key))
            let pool = fixture.pool.id
            #expect(
                await Self.code { try await agentClient.topUpPool(pool, PoolFundsRequest(amount: 1, reason: "r")) }
                    == "forbidden")
            #expect(
                await Self.code {
                    try await agentClient.withdrawFromPool(pool, PoolFundsRequest(amount: 1, reason: "r"))
                }
                    == "forbidden")
            #expect(await Self.code { try await agentClient.closeAgent("a1", reason: "r") } == "forbidden")
            #expect(await Self.code { try await agentClient.closePool(pool, reason: "r") } == "forbidden")
            await agentClient.shutdown()
            #expect(try await client.agent("a1").closedAt == nil)
            #expect(try await client.pool(pool).available == 900)
        }
    }
}
