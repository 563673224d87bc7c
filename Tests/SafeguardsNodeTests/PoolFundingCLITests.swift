import Foundation
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

/// `safeguards pool top-up|withdraw|close`, `agent close` and `federation pool show` against node
/// processes, finding the node through `--data-dir` alone: amounts move exactly, the ledger stays
/// balanced after each, and a refusal is one clear line that moves nothing.
@Suite("CLI pool funding and closing", .timeLimit(.minutes(5)))
struct PoolFundingCLITests {
    static func client(port: Int) -> SafeguardsClient {
        SafeguardsClient(host: "127.0.0.1", port: port, token: CLITests.token)
    }

    static func expectBalanced(port: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let client = client(port: port)
        let check = try await client.ledgerCheck(full: true)
        await client.shutdown()
        #expect(check.balanced && check.overdrawnAccounts.isEmpty, "\(check)", sourceLocation: sourceLocation)
    }

    @Test func topUpWithdrawAndCloseThroughTheDataFolder() async throws {
        try await CLITests.withNode { directory, port, work in
            let dir = ["--data-dir", directory]
            let up = try await CLIRun.run(
                ["pool", "top-up", "research", "--amount", "250.5", "--reason", "q3 budget"] + dir, in: work)
            #expect(up.status == 0, "\(up.stderr)")
            #expect(up.stdout.contains("moved from funding to pool:"), "\(up.stdout)")
            try await Self.expectBalanced(port: port)

            let down = try await CLIRun.run(
                ["pool", "withdraw", "research", "--amount", "50.5", "--reason", "returned", "--json"] + dir, in: work)
            #expect(down.status == 0, "\(down.stderr)")
            let body = try APICoding.decode(PoolFundsBody.self, from: Data(down.stdout.utf8))
            #expect(body.pool.available == 1200)
            #expect(body.transfer.amount == (try Amount(parsing: "50.5")))
            #expect(body.transfer.reason == "returned")
            try await Self.expectBalanced(port: port)

            // Refusals: one line, the node's code, no usage text, nothing moved.
            let over = try await CLIRun.run(
                ["pool", "withdraw", "research", "--amount", "1200.000001", "--reason", "too much"] + dir, in: work)
            #expect(over.status == 1)
            #expect(over.stderr.hasPrefix("error: insufficient_budget: "), "\(over.stderr)")
            #expect(over.stderr.contains("1200"))
            #expect(!over.stderr.contains("Usage:"))
            let negative = try await CLIRun.run(
                ["pool", "top-up", "research", "--amount", "-3", "--reason", "r"] + dir, in: work)
            #expect(negative.status != 0)
            #expect(negative.stderr.contains("--amount: must be greater than zero"), "\(negative.stderr)")
            #expect(!negative.stderr.contains("Missing value"))

            let client = Self.client(port: port)
            let pool = try await client.pools().pools[0]
            #expect(pool.available == 1200)
            _ = try await client.registerAgent(
                RegisterAgentRequest(agentID: "a1", poolID: pool.id, priority: "HIGH", initialBudget: 100))
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 10))
            await client.shutdown()

            let closeAgent = try await CLIRun.run(["agent", "close", "a1", "--reason", "done"] + dir, in: work)
            #expect(closeAgent.status == 0, "\(closeAgent.stderr)")
            #expect(closeAgent.stdout.contains("closed"))
            #expect(closeAgent.stdout.contains("returned to pool:\(pool.id)"), "\(closeAgent.stdout)")
            let list = try await CLIRun.run(["agent", "list"] + dir, in: work)
            #expect(list.stdout.contains("a1 (closed)"), "\(list.stdout)")
            let spend = try await CLIRun.run(["spend", "--agent", "a1", "--amount", "1"] + dir, in: work)
            #expect(spend.status == 1)
            #expect(spend.stderr.hasPrefix("error: closed: agent a1 was closed"), "\(spend.stderr)")
            try await Self.expectBalanced(port: port)

            let closePool = try await CLIRun.run(
                ["pool", "close", "research", "--reason", "wind down"] + dir, in: work)
            #expect(closePool.status == 0, "\(closePool.stderr)")
            #expect(closePool.stdout.contains("returned to funding"), "\(closePool.stdout)")
            let pools = try await CLIRun.run(["pool", "list"] + dir, in: work)
            #expect(pools.stdout.contains("research (closed)"), "\(pools.stdout)")
            try await Self.expectBalanced(port: port)
        }
    }

    @Test func aCommandLineMistakeExits64WithTheUsageAndTheHelpListsTheExitCodes() async throws {
        let work = try makeTemporaryDirectory("safeguards-cli-work")
        let run = try await CLIRun.run(["pool", "top-up", "research", "--amount", "ten", "--reason", "r"], in: work)
        #expect(run.status == 64)
        #expect(run.stderr.contains("--amount: "), "\(run.stderr)")
        #expect(run.stderr.contains("Usage: safeguards pool top-up"))
        let help = try await CLIRun.run(["--help"], in: work)
        // The help is wrapped to the terminal's width: compared as one line.
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(text.contains("Exit status: 0 on success; 1 when"), "\(help.stdout)")
        #expect(text.contains("3 when a peer rejected"))
        #expect(text.contains("64 for a mistake in the command line"))
    }

    @Test func federationPoolShowListsTheGrants() async throws {
        try await Cluster.with { cluster in
            try await cluster.start("system_a")
            try await cluster.start("system_b")
            let client = try #require(cluster.clients["system_a"])
            let url = "http://\(client.endpoint.host):\(client.endpoint.port)"
            let work = try makeTemporaryDirectory("safeguards-cli-work")
            let common = ["--url", url, "--token", Cluster.token]
            // `federation pool` without a subcommand still creates one.
            let created = try await CLIRun.run(
                ["federation", "pool", "--name", "shared", "--local-budget", "100", "--remote", "system_b=200"]
                    + common, in: work)
            #expect(created.status == 0, "\(created.stderr)")
            let shown = try await CLIRun.run(["federation", "pool", "show", "shared"] + common, in: work)
            #expect(shown.status == 0, "\(shown.stderr)")
            #expect(shown.stdout.contains("shared"))
            #expect(shown.stdout.contains("system_b"), "\(shown.stdout)")
            let json = try await CLIRun.run(["federation", "pool", "show", "shared", "--json"] + common, in: work)
            let body = try APICoding.decode(FederatedPoolBody.self, from: Data(json.stdout.utf8))
            #expect(body.grants["system_b"]?.requested == 200)
            #expect(body.pool.name == "shared")
            let missing = try await CLIRun.run(["federation", "pool", "show", "nowhere"] + common, in: work)
            #expect(missing.status == 1)
            #expect(missing.stderr.hasPrefix("error: not_found"), "\(missing.stderr)")
        }
    }
}
