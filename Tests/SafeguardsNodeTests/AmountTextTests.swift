import Foundation
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsTestKit
import Testing

/// One way to write an amount, `Amount.description` (six decimals): the JSON, the CLI's tables,
/// its error lines and the status page show the same text for the same amount.
@Suite("Amounts read the same everywhere", .timeLimit(.minutes(5)))
struct AmountTextTests {
    @Test func descriptionHasSixDecimals() {
        #expect(Amount(micros: 12_500_000).description == "12.500000")
        #expect(Amount(micros: -400).description == "-0.000400")
        #expect((1000 as Amount).description == "1000.000000")
    }

    @Test func tablesErrorsAndTheStatusPageWriteAmountsAlike() async throws {
        try await CLITests.withNode { directory, port, work in
            let client = SafeguardsClient(host: "127.0.0.1", port: port, token: CLITests.token)
            let pool = try await client.pools().pools[0]
            _ = try await client.registerAgent(
                RegisterAgentRequest(agentID: "a1", poolID: pool.id, priority: "HIGH", initialBudget: try Amount(parsing: "12.5")))
            let session = try StatusPageTests.cookie(try await StatusPageTests.signIn(client, CLITests.token))
            let (_, page) = try await StatusPageTests.page(client, cookie: session)
            await client.shutdown()

            let table = try await CLIRun.run(["agent", "show", "a1", "--data-dir", directory], in: work)
            #expect(table.status == 0, "\(table.stderr)")
            #expect(table.stdout.contains("12.500000"), "\(table.stdout)")
            let pools = try await CLIRun.run(["pool", "list", "--data-dir", directory], in: work)
            #expect(pools.stdout.contains("987.500000") && pools.stdout.contains("1000.000000"), "\(pools.stdout)")

            let refused = try await CLIRun.run(["spend", "--agent", "a1", "--amount", "100", "--data-dir", directory], in: work)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("12.500000 available; 100.000000 was requested"), "\(refused.stderr)")

            #expect(page.contains("12.500000"), "the signed-in status page")
        }
    }
}
