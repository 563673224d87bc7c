import Foundation
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

/// An agent's rate limit read, checked and removed, after the original's `BudgetRateLimiter`
/// (`check_rate_limit`, `get_retry_after`).
@Suite("Rate limits: show, check and remove", .timeLimit(.minutes(5)))
struct RateLimitAPITests {
    static func code(_ error: any Error) -> String? { (error as? APIClientError)?.code }

    @Test func aCheckAnswersAllowedOrWhenAndCountsNothing() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "500")])
            let free = try await client.checkRateLimit(agent: "a1", amount: 1000)
            #expect(!free.limited && free.allowed && free.retryAfterSeconds == 0)

            _ = try await client.setRateLimit(agent: "a1", RateLimitBody(maxBudget: 100, timeWindowSeconds: 3600))
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 60))
            // Asked many times, a check counts nothing: 40 still fit after.
            for _ in 0..<5 {
                let fits = try await client.checkRateLimit(agent: "a1", amount: 40)
                #expect(fits.limited && fits.allowed && fits.retryAfterSeconds == 0)
                #expect(fits.used == 60 && fits.maxBudget == 100 && fits.timeWindowSeconds == 3600)
            }
            let tooMuch = try await client.checkRateLimit(agent: "a1", amount: 41)
            #expect(!tooMuch.allowed)
            let wait = try #require(tooMuch.retryAfterSeconds)
            #expect(wait > 0 && wait <= 3600)
            let never = try await client.checkRateLimit(agent: "a1", amount: 101)
            #expect(!never.allowed && never.retryAfterSeconds == nil)
            // Without an amount: may the agent spend anything at all?
            #expect(try await client.checkRateLimit(agent: "a1").allowed)

            _ = try await client.spend(agent: "a1", SpendRequest(amount: 40))
            let full = try await client.checkRateLimit(agent: "a1")
            #expect(!full.allowed && full.amount == Amount(micros: 1))
            // What the check promised is what a spend answers.
            do {
                _ = try await client.spend(agent: "a1", SpendRequest(amount: 1))
                Issue.record("a spend past the limit was accepted")
            } catch let error as APIClientError {
                #expect(error.code == "rate_limited")
                guard case .problem(let problem) = error else { throw error }
                // The same wait, counted a moment later: the clock may have passed a second (or a
                // few, on a loaded machine) between the check and the spend, never gone back.
                let promised = try #require(full.retryAfterSeconds)
                let answered = try #require(problem.retryAfterSeconds)
                #expect(answered <= promised && answered >= promised - 10, "check said \(promised), spend \(answered)")
            }
            #expect(try await client.agent("a1").budget.spent == 100)
        }
    }

    @Test func aLimitIsShownAndRemoved() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "500")])
            await #expect { try await client.rateLimit(agent: "a1") } throws: { Self.code($0) == "not_found" }
            await #expect { try await client.rateLimit(agent: "nobody") } throws: { Self.code($0) == "not_found" }
            await #expect { try await client.checkRateLimit(agent: "nobody") } throws: { Self.code($0) == "not_found" }

            _ = try await client.setRateLimit(agent: "a1", RateLimitBody(maxBudget: 50, timeWindowSeconds: 600))
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 30))
            let shown = try await client.rateLimit(agent: "a1")
            #expect(shown == RateLimitStatusBody(agentID: "a1", maxBudget: 50, timeWindowSeconds: 600, used: 30, available: 20))

            let removed = try await client.removeRateLimit(agent: "a1")
            #expect(removed == shown)
            await #expect { try await client.rateLimit(agent: "a1") } throws: { Self.code($0) == "not_found" }
            await #expect { try await client.removeRateLimit(agent: "a1") } throws: { Self.code($0) == "not_found" }
            #expect(try await client.checkRateLimit(agent: "a1", amount: 400).limited == false)
            // No longer limited: more than the old limit passes.
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 100))

            // Set again, the window still holds what the journal shows: 130 of 200.
            _ = try await client.setRateLimit(agent: "a1", RateLimitBody(maxBudget: 200, timeWindowSeconds: 600))
            #expect(try await client.rateLimit(agent: "a1").used == 130)
        }
    }

    @Test func badAmountsAreRefused() async throws {
        try await TestNode.with { client, _ in
            _ = try await Fixture.make(client, agents: [("a1", "500")])
            for query in ["amount=abc", "amount=0", "amount=-1"] {
                let response = try await client.raw(.GET, "/v1/agents/a1/rate-limit/check?\(query)")
                #expect(response.status == 400, "\(query)")
            }
        }
    }
}

extension CLITests {
    @Test func rateLimitSetShowCheckAndRemove() async throws {
        try await Self.withNode { directory, port, work in
            let client = SafeguardsClient(host: "127.0.0.1", port: port, token: Self.token)
            let pool = try await client.pools().pools.first { $0.name == "research" }
            _ = try await client.registerAgent(
                RegisterAgentRequest(agentID: "coder", poolID: try #require(pool).id, priority: "HIGH", initialBudget: 500))
            await client.shutdown()
            let base = ["--agent", "coder", "--data-dir", directory]
            // The original form, without a subcommand, still sets the limit.
            let set = try await CLIRun.run(["rate-limit", "--max-budget", "100", "--window", "1h"] + base, in: work)
            #expect(set.status == 0, "\(set.stderr)")
            let show = try await CLIRun.run(["rate-limit", "show", "--json"] + base, in: work)
            #expect(show.status == 0, "\(show.stderr)")
            let status = try APICoding.decoder().decode(RateLimitStatusBody.self, from: Data(show.stdout.utf8))
            #expect(status.maxBudget == 100 && status.timeWindowSeconds == 3600 && status.used == 0)
            let check = try await CLIRun.run(["rate-limit", "check", "--amount", "150"] + base, in: work)
            #expect(check.status == 0 && check.stdout.contains("never"), "\(check.stdout) \(check.stderr)")
            let allowed = try await CLIRun.run(["rate-limit", "check", "--amount", "30"] + base, in: work)
            #expect(allowed.stdout.hasPrefix("allowed"), "\(allowed.stdout)")
            let remove = try await CLIRun.run(["rate-limit", "remove"] + base, in: work)
            #expect(remove.status == 0 && remove.stdout.hasPrefix("removed"), "\(remove.stdout) \(remove.stderr)")
            let gone = try await CLIRun.run(["rate-limit", "show"] + base, in: work)
            #expect(gone.status != 0 && gone.stderr.contains("no rate limit"), "\(gone.stderr)")
        }
    }
}
