import Foundation
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import SafeguardsTestKit
import Testing

@Suite("HTTP API contract", .timeLimit(.minutes(5)))
struct APIContractTests {
    @Test func healthAndMetricsNeedNoToken() async throws {
        try await TestNode.with { client, _ in
            let unauthenticated = SafeguardsClient(host: client.endpoint.host, port: client.endpoint.port, token: nil)
            let health = try await unauthenticated.health()
            #expect(health == HealthBody(status: "ok", systemID: "test"))
            _ = try await client.pools()
            let metrics = try await unauthenticated.metrics()
            #expect(metrics.contains("safeguards_http_requests_total"))
            #expect(metrics.contains("safeguards_store_commits"))
            await unauthenticated.shutdown()
        }
    }

    @Test func poolLifecycle() async throws {
        try await TestNode.with { client, _ in
            let created = try await client.createPool(
                CreatePoolRequest(name: "research", initialBudget: 1000, priority: 7, metadata: ["team": "ml"]))
            #expect(created.name == "research")
            #expect(created.priority == 7)
            #expect(created.total == 1000 && created.available == 1000 && created.allocated == 0 && created.spent == 0)
            #expect(created.metadata == ["team": "ml"])
            #expect(try await client.pool(created.id) == created)
            #expect(try await client.pools().pools == [created])

            let duplicate = await #expect(throws: APIClientError.self) {
                _ = try await client.createPool(CreatePoolRequest(name: "research", initialBudget: 5, priority: 1))
            }
            #expect(duplicate?.code == "conflict")
        }
    }

    @Test func poolCreationWithSameIdempotencyKeyReturnsTheFirstPool() async throws {
        try await TestNode.with { client, _ in
            let request = CreatePoolRequest(name: "ops", initialBudget: 50, priority: 3, idempotencyKey: "create-ops")
            let first = try await client.createPool(request)
            let again = try await client.createPool(request)
            #expect(first == again)
            #expect(try await client.pools().pools.count == 1)
            #expect(try await client.ledgerCheck().credits == "50.000000")
        }
    }

    @Test func agentRegistrationMovesBudgetFromThePool() async throws {
        try await TestNode.with { client, _ in
            let fixture = try await Fixture.make(client, poolBudget: "1000", agents: [("a1", "100"), ("a2", "250.5")])
            let agent = try await client.agent("a1")
            #expect(agent.poolID == fixture.pool.id)
            #expect(agent.priority == "HIGH")
            #expect(agent.budget == AgentBudgetBody(initial: 100, total: 100, available: 100, reserved: 0, spent: 0))
            let pool = try await client.pool(fixture.pool.id)
            #expect(pool.available == Amount(micros: 649_500_000))
            #expect(pool.allocated == Amount(micros: 350_500_000))
            #expect(pool.total == 1000)
            #expect(try await client.agents(pool: fixture.pool.id).agents.map(\.agentID) == ["a1", "a2"])

            let tooBig = await #expect(throws: APIClientError.self) {
                _ = try await client.registerAgent(
                    RegisterAgentRequest(agentID: "a3", poolID: fixture.pool.id, priority: "LOW", initialBudget: 700))
            }
            #expect(tooBig?.code == "insufficient_budget")
            let unknownPool = await #expect(throws: APIClientError.self) {
                _ = try await client.registerAgent(
                    RegisterAgentRequest(agentID: "a4", poolID: "pool_missing", priority: "LOW", initialBudget: 1))
            }
            #expect(unknownPool?.code == "not_found")
            let duplicate = await #expect(throws: APIClientError.self) {
                _ = try await client.registerAgent(
                    RegisterAgentRequest(agentID: "a1", poolID: fixture.pool.id, priority: "LOW", initialBudget: 1))
            }
            #expect(duplicate?.code == "conflict")
        }
    }

    @Test func reserveSettleReleaseAndSpend() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "100")])
            let reservation = try await client.reserve(agent: "a1", ReserveRequest(amount: 30, timeoutSeconds: 60))
            #expect(reservation.state == "pending")
            #expect(reservation.amount == 30)
            #expect(try await client.agent("a1").budget.available == 70)
            #expect(try await client.agent("a1").budget.reserved == 30)

            let settled = try await client.settle(reservation: reservation.reservationID, amount: Amount(parsing: "12.25"))
            #expect(settled.state == "posted")
            #expect(settled.settledAmount == Amount(micros: 12_250_000))
            var budget = try await client.agent("a1").budget
            #expect(budget.spent == Amount(micros: 12_250_000))
            #expect(budget.reserved == 0)
            #expect(budget.available == Amount(micros: 87_750_000))
            // Settling again with the same amount is a replay; another amount is refused.
            #expect(try await client.settle(reservation: reservation.reservationID, amount: Amount(parsing: "12.25")) == settled)
            let resettle = await #expect(throws: APIClientError.self) {
                _ = try await client.settle(reservation: reservation.reservationID, amount: 1)
            }
            #expect(resettle?.code == "conflict")

            let second = try await client.reserve(agent: "a1", ReserveRequest(amount: 10))
            let released = try await client.release(reservation: second.reservationID)
            #expect(released.state == "voided")
            #expect(try await client.reservation(second.reservationID).state == "voided")
            let overSettle = try await client.reserve(agent: "a1", ReserveRequest(amount: 5))
            let tooMuch = await #expect(throws: APIClientError.self) {
                _ = try await client.settle(reservation: overSettle.reservationID, amount: 6)
            }
            #expect(tooMuch?.code == "invalid_amount")

            let spend = try await client.spend(agent: "a1", SpendRequest(amount: 2, idempotencyKey: "spend-1"))
            #expect(spend.state == "posted")
            let replay = try await client.spend(agent: "a1", SpendRequest(amount: 2, idempotencyKey: "spend-1"))
            #expect(replay == spend)
            budget = try await client.agent("a1").budget
            #expect(budget.spent == Amount(micros: 14_250_000))
            #expect(budget.total == 100)
            #expect(try await client.transfer(spend.id).postedAmount == 2)
            let reused = await #expect(throws: APIClientError.self) {
                _ = try await client.spend(agent: "a1", SpendRequest(amount: 3, idempotencyKey: "spend-1"))
            }
            #expect(reused?.code == "conflict")
            #expect(try await client.ledgerCheck().balanced)
        }
    }

    @Test func anIdempotencyKeyHasUpTo128Characters() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, poolBudget: "500", agents: [("a1", "100")])
            let longest = String(repeating: "k", count: 128)
            let spend = try await client.spend(agent: "a1", SpendRequest(amount: 2, idempotencyKey: longest))
            #expect(spend.id == "spd:\(longest)")
            // The transfer id made from the key reads back, and a retry is a replay.
            #expect(try await client.transfer(spend.id).postedAmount == 2)
            let body = Array(#"{"amount": "2", "idempotency_key": "\#(longest)"}"#.utf8)
            let replay = try await client.raw(.POST, "/v1/agents/a1/spend", body: body)
            #expect(replay.status == 201 && replay.header("Idempotent-Replayed") == "true")
            let reservation = try await client.reserve(agent: "a1", ReserveRequest(amount: 1, idempotencyKey: longest))
            #expect(try await client.reservation(reservation.reservationID).state == "pending")

            let tooLong = longest + "k"
            let refused = await #expect(throws: APIClientError.self) {
                _ = try await client.spend(agent: "a1", SpendRequest(amount: 2, idempotencyKey: tooLong))
            }
            #expect(refused?.code == "invalid_request")
            #expect(refused?.description.contains("1-128") == true)
            #expect(try await client.agent("a1").budget.spent == 2)
        }
    }

    @Test func budgetUpdateIsATransferOfTheDifferenceWithTheReason() async throws {
        try await TestNode.with { client, _ in
            let fixture = try await Fixture.make(client, poolBudget: "500", agents: [("a1", "100")])
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 40))
            let raised = try await client.updateBudget(
                agent: "a1", UpdateBudgetRequest(budget: 250, reason: "quarterly increase", idempotencyKey: "q4"))
            #expect(raised.budget.total == 250)
            #expect(raised.budget.available == 210)
            #expect(try await client.pool(fixture.pool.id).available == 250)
            let transfer = try await client.transfer("bud:q4")
            #expect(transfer.reason == "quarterly increase")
            #expect(transfer.amount == 150)

            let lowered = try await client.updateBudget(agent: "a1", UpdateBudgetRequest(budget: 60, reason: "cut"))
            #expect(lowered.budget.total == 60)
            #expect(lowered.budget.available == 20)
            let belowSpent = await #expect(throws: APIClientError.self) {
                _ = try await client.updateBudget(agent: "a1", UpdateBudgetRequest(budget: 39, reason: "too low"))
            }
            #expect(belowSpent?.code == "insufficient_budget")
            #expect(try await client.agent("a1").budget.total == 60)
            #expect(try await client.ledgerCheck().balanced)
        }
    }

    @Test func usageAlertsAreRaisedOncePerLevel() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "100")])
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 74))
            #expect(try await client.alerts().alerts.isEmpty)
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 1))
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 5))
            var alerts = try await client.alerts(agent: "a1").alerts
            #expect(alerts.map(\.level) == ["warning"])
            #expect(alerts.first?.usagePercent == "75.00")
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 10))
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 1))
            alerts = try await client.alerts(agent: "a1").alerts
            #expect(alerts.map(\.level) == ["critical", "warning"])
            #expect(try await client.agent("a1").alertLevel == "critical")
            // Raising the budget so usage falls below 75% re-arms both levels.
            _ = try await client.updateBudget(agent: "a1", UpdateBudgetRequest(budget: 200, reason: "more"))
            #expect(try await client.agent("a1").alertLevel == "normal")
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 60))
            alerts = try await client.alerts(agent: "a1").alerts
            #expect(alerts.map(\.level) == ["warning", "critical", "warning"])
        }
    }

    @Test func stateSurvivesARestart() async throws {
        let directory = try makeTemporaryDirectory()
        let before = try await TestNode.with(dataDirectory: directory) { client, _ in
            let fixture = try await Fixture.make(client, agents: [("a1", "100")])
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 7))
            _ = try await client.reserve(agent: "a1", ReserveRequest(amount: 3, idempotencyKey: "r1"))
            return (try await client.pool(fixture.pool.id), try await client.agent("a1"))
        }
        try await TestNode.with(dataDirectory: directory) { client, _ async throws in
            #expect(try await client.pool(before.0.id) == before.0)
            #expect(try await client.agent("a1") == before.1)
            #expect(try await client.reservation("rsv:r1").state == "pending")
            #expect(try await client.ledgerCheck().balanced)
        }
    }

    @Test func expiredReservationsAreReleasedBySweep() async throws {
        try await TestNode.with(configure: { $0.reservations.sweepInterval = .milliseconds(50) }) { client, node in
            _ = try await Fixture.make(client, agents: [("a1", "100")])
            let reservation = try await client.reserve(agent: "a1", ReserveRequest(amount: 40, timeoutSeconds: 1))
            var state = "pending"
            for _ in 0..<200 where state == "pending" {
                try await Task.sleep(for: .milliseconds(25))
                state = try await client.reservation(reservation.reservationID).state
            }
            #expect(state == "expired")
            #expect(try await client.agent("a1").budget.available == 100)
            let late = await #expect(throws: APIClientError.self) {
                _ = try await client.settle(reservation: reservation.reservationID, amount: 1)
            }
            #expect(late?.code == "conflict")
        }
    }

    @Test func statusPageShowsPoolsAndAgents() async throws {
        try await TestNode.with { client, _ in
            _ = try await client.createPool(CreatePoolRequest(name: "<b>bold</b>", initialBudget: 10, priority: 2))
            let cookie = try StatusPageTests.cookie(try await StatusPageTests.signIn(client, TestNode.token))
            let page = try await client.raw(.GET, "/", authorized: false, headers: [("Cookie", cookie)])
            let html = String(decoding: page.body, as: UTF8.self)
            #expect(page.status == 200)
            #expect(html.contains("balanced"))
            #expect(html.contains("&lt;b&gt;bold&lt;/b&gt;"))
            #expect(!html.contains("<b>bold</b>"))
        }
    }
}
