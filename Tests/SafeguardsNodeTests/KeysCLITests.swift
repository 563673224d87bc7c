import Foundation
import SafeguardsAPI
import SafeguardsCore
import Testing

/// `safeguards keys create|list|revoke` against a node process, and the key it prints at work.
extension CLITests {
    @Test func keysCreateListAndRevokeThroughTheCLI() async throws {
        try await Self.withNode { directory, port, work in
            let client = SafeguardsClient(host: "127.0.0.1", port: port, token: Self.token)
            let pool = try #require(try await client.pools().pools.first)
            _ = try await client.registerAgent(
                RegisterAgentRequest(agentID: "cli-coder", poolID: pool.id, priority: "HIGH", initialBudget: 100))
            await client.shutdown()
            let base = ["--data-dir", directory]
            let decoder = APICoding.decoder()

            let create = try await CLIRun.run(
                ["keys", "create", "--name", "cli", "--role", "agent", "--agent", "cli-coder", "--pool", "research",
                    "--expires-at", "2999-01-01T00:00:00Z", "--json"] + base, in: work)
            #expect(create.status == 0, "\(create.stderr)")
            let created = try decoder.decode(APIKeyBody.self, from: Data(create.stdout.utf8))
            let key = try #require(created.key)
            #expect(created.poolIDs == [pool.id], "the pool is named by its name and sent by id")

            let spend = try await CLIRun.run(
                ["spend", "--agent", "cli-coder", "--amount", "2", "--token", key] + base, in: work)
            #expect(spend.status == 0, "\(spend.stderr)")
            let history = try await CLIRun.run(
                ["transfers", "list", "--agent", "cli-coder", "--kind", "spend"] + base, in: work)
            #expect(history.stdout.contains("api_key_id=\(created.id)"), "\(history.stdout)")

            let list = try await CLIRun.run(["keys", "list"] + base, in: work)
            #expect(list.status == 0 && list.stdout.contains(created.id) && list.stdout.contains("cli-coder"))
            #expect(!list.stdout.contains(key), "a list never shows key material")

            let revoke = try await CLIRun.run(["keys", "revoke", created.id] + base, in: work)
            #expect(revoke.status == 0 && revoke.stdout.contains("revoked api key \(created.id)"), "\(revoke.stderr)")
            let refused = try await CLIRun.run(
                ["spend", "--agent", "cli-coder", "--amount", "2", "--token", key] + base, in: work)
            #expect(refused.status == 1 && refused.stderr.contains("unauthorized"))
            let empty = try await CLIRun.run(["keys", "list"] + base, in: work)
            #expect(empty.stdout.contains("no api keys"))
        }
    }
}
