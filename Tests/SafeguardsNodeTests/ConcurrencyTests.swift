import SafeguardsAPI
import SafeguardsCore
import Testing

@Suite("Concurrent requests", .timeLimit(.minutes(5)))
struct ConcurrencyTests {
    @Test func thousandConcurrentReservationsNeverOverdraw() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, poolBudget: "100", agents: [("a1", "100")])
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<1000 {
                    group.addTask {
                        do {
                            _ = try await client.reserve(agent: "a1", ReserveRequest(amount: 1))
                            return "created"
                        } catch let error as APIClientError {
                            return error.code ?? "\(error)"
                        }
                    }
                }
                var counts: [String: Int] = [:]
                for try await outcome in group { counts[outcome, default: 0] += 1 }
                return counts
            }
            #expect(outcomes == ["created": 100, "insufficient_budget": 900])
            let agent = try await client.agent("a1")
            #expect(agent.budget.reserved == 100)
            #expect(agent.budget.available == 0)
            let check = try await client.ledgerCheck()
            #expect(check.balanced)
            #expect(check.debitsPending == "100.000000")
        }
    }

    @Test func concurrentSpendsWithSharedKeysChargeOnce() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, poolBudget: "1000", agents: [("a1", "1000")])
            // 50 keys, each sent 10 times at once: exactly 50 charges.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for attempt in 0..<500 {
                    group.addTask {
                        _ = try await client.spend(agent: "a1", SpendRequest(amount: 2, idempotencyKey: "key-\(attempt % 50)"))
                    }
                }
                try await group.waitForAll()
            }
            let budget = try await client.agent("a1").budget
            #expect(budget.spent == 100)
            #expect(budget.available == 900)
            #expect(try await client.ledgerCheck().balanced)
        }
    }
}
