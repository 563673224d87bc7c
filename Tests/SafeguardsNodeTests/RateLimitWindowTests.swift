import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

/// Rate-limit windows are kept in the journal: a restart or a re-posted limit keeps what the
/// window already holds.
@Suite("Durable rate-limit windows", .timeLimit(.minutes(5)))
struct RateLimitWindowTests {
    /// Spends `units` on `agent` one unit at a time, each with its own key.
    static func spend(_ client: SafeguardsClient, _ agent: String, units: Int, keyPrefix: String) async throws {
        for index in 0..<units {
            _ = try await client.spend(agent: agent, SpendRequest(amount: 1, idempotencyKey: "\(keyPrefix)-\(index)"))
        }
    }

    /// Whether spending `amount` is refused as rate limited.
    static func isRateLimited(_ client: SafeguardsClient, _ agent: String, _ amount: Amount) async throws -> Bool {
        do {
            _ = try await client.spend(agent: agent, SpendRequest(amount: amount))
            return false
        } catch let error as APIClientError where error.code == "rate_limited" {
            return true
        }
    }

    @Test func aRestartKeepsTheUseInTheWindow() async throws {
        let directory = try makeTemporaryDirectory()
        try await TestNode.with(dataDirectory: directory) { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "500")])
            _ = try await client.setRateLimit(agent: "a1", RateLimitBody(maxBudget: 100, timeWindowSeconds: 3600))
            try await Self.spend(client, "a1", units: 80, keyPrefix: "before")
        }
        try await TestNode.with(dataDirectory: directory) { client, _ in
            // A retry of a spend made before the restart is a replay: answered, not counted.
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 1, idempotencyKey: "before-0"))
            #expect(try await Self.isRateLimited(client, "a1", 25))
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 20))
            #expect(try await Self.isRateLimited(client, "a1", Amount(micros: 1)))
            let agent = try await client.agent("a1")
            #expect(agent.budget.spent == 100)
            #expect(try await client.ledgerCheck().balanced)
        }
    }

    @Test func postingTheLimitAgainKeepsTheUseInTheWindow() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "500")])
            _ = try await client.setRateLimit(agent: "a1", RateLimitBody(maxBudget: 100, timeWindowSeconds: 3600))
            try await Self.spend(client, "a1", units: 80, keyPrefix: "use")
            _ = try await client.setRateLimit(agent: "a1", RateLimitBody(maxBudget: 100, timeWindowSeconds: 3600))
            #expect(try await Self.isRateLimited(client, "a1", 25))
            // A changed limit keeps the use too: 80 of 90.
            _ = try await client.setRateLimit(agent: "a1", RateLimitBody(maxBudget: 90, timeWindowSeconds: 7200))
            #expect(try await Self.isRateLimited(client, "a1", 11))
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 10))
            #expect(try await Self.isRateLimited(client, "a1", Amount(micros: 1)))
            #expect(try await client.agent("a1").budget.spent == 90)
        }
    }

    @Test func refusedAndReplayedOperationsAreNotCounted() async throws {
        let directory = try makeTemporaryDirectory()
        try await TestNode.with(dataDirectory: directory) { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "50")])
            _ = try await client.setRateLimit(agent: "a1", RateLimitBody(maxBudget: 100, timeWindowSeconds: 3600))
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 40, idempotencyKey: "k"))
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 40, idempotencyKey: "k"))
            // Refused by the budget (402), so it moves nothing and counts nothing.
            await #expect(throws: APIClientError.self) {
                _ = try await client.spend(agent: "a1", SpendRequest(amount: 20))
            }
            _ = try await client.updateBudget(agent: "a1", UpdateBudgetRequest(budget: 200, reason: "more"))
        }
        try await TestNode.with(dataDirectory: directory) { client, _ in
            // 40 used: 60 more fit, and not one micro-unit past them.
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 60))
            #expect(try await Self.isRateLimited(client, "a1", Amount(micros: 1)))
        }
    }

    /// A reservation counts what it reserved while pending, what it settled once settled, and
    /// nothing once released; a restart reads the same from the journal.
    @Test func aSettledReservationCountsWhatItSettledAndAReleasedOneNothing() async throws {
        let directory = try makeTemporaryDirectory()
        try await TestNode.with(dataDirectory: directory) { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "500")])
            _ = try await client.setRateLimit(agent: "a1", RateLimitBody(maxBudget: 100, timeWindowSeconds: 3600))
            let big = try await client.reserve(agent: "a1", ReserveRequest(amount: 80))
            #expect(try await client.rateLimit(agent: "a1").used == 80)
            #expect(try await client.checkRateLimit(agent: "a1", amount: 30).allowed == false)
            _ = try await client.settle(reservation: big.reservationID, amount: 20)
            #expect(try await client.rateLimit(agent: "a1").used == 20)
            let held = try await client.reserve(agent: "a1", ReserveRequest(amount: 50))
            #expect(try await client.rateLimit(agent: "a1").used == 70)
            _ = try await client.release(reservation: held.reservationID)
            // A retry of the settle is a replay: the window is not lowered twice.
            _ = try await client.settle(reservation: big.reservationID, amount: 20)
            let status = try await client.rateLimit(agent: "a1")
            #expect(status.used == 20 && status.available == 80)
        }
        try await TestNode.with(dataDirectory: directory) { client, _ in
            #expect(try await client.rateLimit(agent: "a1").used == 20)
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 80))
            #expect(try await Self.isRateLimited(client, "a1", Amount(micros: 1)))
            #expect(try await client.ledgerCheck().balanced)
        }
    }

    /// An expired reservation counts nothing, whether the sweeper or a late settle expires it.
    @Test func anExpiredReservationCountsNothing() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "500")])
            _ = try await client.setRateLimit(agent: "a1", RateLimitBody(maxBudget: 100, timeWindowSeconds: 3600))
            let short = try await client.reserve(agent: "a1", ReserveRequest(amount: 90, timeoutSeconds: 1))
            #expect(try await client.rateLimit(agent: "a1").used == 90)
            // Wait until it expired (the sweeper, or the late settle below, ends it).
            try await Task.sleep(for: .milliseconds(1500))
            await #expect(throws: APIClientError.self) {
                _ = try await client.settle(reservation: short.reservationID, amount: 10)
            }
            #expect(try await client.reservation(short.reservationID).state == "expired")
            #expect(try await client.rateLimit(agent: "a1").used == 0)
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 100))
            #expect(try await Self.isRateLimited(client, "a1", Amount(micros: 1)))
        }
    }

    @Test func concurrentSpendsNeverOvershootTheLimit() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "500")])
            _ = try await client.setRateLimit(agent: "a1", RateLimitBody(maxBudget: 50, timeWindowSeconds: 3600))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<80 {
                    group.addTask {
                        _ = try? await client.spend(agent: "a1", SpendRequest(amount: 1, idempotencyKey: "c\(index)"))
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await client.agent("a1").budget.spent == 50)
        }
    }
}
