import Foundation
import SafeguardsAPI
import SafeguardsCore
import Testing

/// `safeguards transfers list`: one page or every page, filtered, as a table or the API's JSON.
extension CLITests {
    @Test func transfersListPagesFiltersAndRefusesBadInput() async throws {
        try await Self.withNode { directory, port, work in
            let client = SafeguardsClient(host: "127.0.0.1", port: port, token: Self.token)
            let pool = try #require(try await client.pools().pools.first)
            _ = try await client.registerAgent(
                RegisterAgentRequest(agentID: "cli-a1", poolID: pool.id, priority: "HIGH", initialBudget: 100))
            for number in 0..<3 {
                _ = try await client.spend(agent: "cli-a1", SpendRequest(amount: 1, idempotencyKey: "cli-\(number)"))
            }
            await client.shutdown()
            let base = ["transfers", "list", "--data-dir", directory]
            let decoder = APICoding.decoder()

            let first = try await CLIRun.run(base + ["--agent", "cli-a1", "--limit", "2", "--json"], in: work)
            #expect(first.status == 0, "\(first.stderr)")
            let page = try decoder.decode(TransferListBody.self, from: Data(first.stdout.utf8))
            #expect(page.transfers.map(\.id) == ["spd:cli-2", "spd:cli-1"])
            let next = try #require(page.next)

            let second = try await CLIRun.run(base + ["--agent", "cli-a1", "--limit", "2", "--after", next, "--json"], in: work)
            #expect(second.status == 0, "\(second.stderr)")
            let rest = try decoder.decode(TransferListBody.self, from: Data(second.stdout.utf8))
            #expect(rest.transfers.map(\.id) == ["spd:cli-0", "alloc:cli-a1"])
            #expect(rest.next == nil)

            let all = try await CLIRun.run(base + ["--pool", pool.id, "--kind", "spend", "--all", "--limit", "1", "--json"], in: work)
            #expect(all.status == 0, "\(all.stderr)")
            let spends = try decoder.decode(TransferListBody.self, from: Data(all.stdout.utf8))
            #expect(spends.transfers.map(\.id) == ["spd:cli-2", "spd:cli-1", "spd:cli-0"])
            #expect(spends.next == nil)

            let table = try await CLIRun.run(base + ["--agent", "cli-a1", "--limit", "1"], in: work)
            #expect(table.status == 0, "\(table.stderr)")
            #expect(table.stdout.contains("TRANSFER"))
            #expect(table.stdout.contains("spd:cli-2") && table.stdout.contains("spend"))
            #expect(table.stdout.contains("next: "), "a page that is not the last says how to go on")

            let since = try await CLIRun.run(base + ["--since", "2999-01-01T00:00:00Z"], in: work)
            #expect(since.status == 0 && since.stdout.contains("no transfers"), "\(since.stderr)")

            let badKind = try await CLIRun.run(base + ["--kind", "bogus"], in: work)
            #expect(badKind.status == 1)
            #expect(badKind.stderr.contains("invalid_request") && badKind.stderr.contains("kind"))
            let badTime = try await CLIRun.run(base + ["--since", "yesterday"], in: work)
            #expect(badTime.status == 1 && badTime.stderr.contains("RFC 3339"))
            let badLimit = try await CLIRun.run(base + ["--limit", "0"], in: work)
            #expect(badLimit.status != 0 && badLimit.stderr.contains("--limit"))
        }
    }
}
