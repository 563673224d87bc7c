import Foundation
import SafeguardsAPI
import SafeguardsCore
import Testing

/// `PUT /v1/pools/{id}/period` through the client, and `safeguards pool set-period`.
@Suite("A pool's budget period over HTTP", .timeLimit(.minutes(5)))
struct PoolPeriodRouteTests {
    @Test func aPoolPeriodIsSetChangedRefusedAndRemoved() async throws {
        try await TestNode.with { (client, _) async throws in
            let pool = try await client.createPool(
                CreatePoolRequest(
                    name: "research", initialBudget: 500, priority: 5, budgetPeriod: "monthly",
                    periodTimezone: "Europe/Berlin"))
            let monthly = try #require(pool.period)
            #expect(monthly.budgetPeriod == "monthly" && monthly.periodTimezone == "Europe/Berlin")
            #expect(monthly.periodResetsAt > monthly.periodStartedAt)

            let daily = try await client.setPoolPeriod(pool.id, PeriodRequest(budgetPeriod: "30d"))
            #expect(daily.period?.budgetPeriod == "30d" && daily.period?.periodTimezone == "UTC")
            await #expect {
                try await client.setPoolPeriod(pool.id, PeriodRequest(budgetPeriod: "daily", periodTimezone: "Mars/Base"))
            } throws: { ($0 as? APIClientError)?.code == "invalid_request" }
            await #expect {
                try await client.setPoolPeriod(pool.id, PeriodRequest(budgetPeriod: "fortnightly"))
            } throws: { ($0 as? APIClientError)?.code == "invalid_request" }
            #expect(try await client.pool(pool.id).period?.budgetPeriod == "30d", "a refused change stores nothing")
            await #expect {
                try await client.setPoolPeriod("pool_missing", PeriodRequest(budgetPeriod: "1d"))
            } throws: { ($0 as? APIClientError)?.code == "not_found" }

            let removed = try await client.setPoolPeriod(pool.id, PeriodRequest(budgetPeriod: nil))
            #expect(removed.period == nil)
            #expect(removed.total == 500 && removed.available == 500, "setting a period moves no budget")
        }
    }
}

extension CLITests {
    @Test func poolSetPeriodNamesThePoolByName() async throws {
        try await Self.withNode { directory, _, work in
            let base = ["--data-dir", directory]
            let set = try await CLIRun.run(
                ["pool", "set-period", "research", "--period", "weekly", "--timezone", "America/New_York", "--json"] + base,
                in: work)
            #expect(set.status == 0, "\(set.stderr)")
            let body = try APICoding.decoder().decode(PoolBody.self, from: Data(set.stdout.utf8))
            #expect(body.period?.budgetPeriod == "weekly" && body.period?.periodTimezone == "America/New_York")
            let refused = try await CLIRun.run(["pool", "set-period", "research", "--period", "often"] + base, in: work)
            #expect(refused.status != 0 && refused.stderr.contains("budget_period"), "\(refused.stderr)")
        }
    }
}
