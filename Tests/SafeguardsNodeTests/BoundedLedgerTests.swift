import Foundation
import GRDB
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsNode
import SafeguardsStore
import Testing

/// `GET /v1/ledger/check` compares the stored balances with the journal: fast in SQL, or in full.
@Suite("Ledger check of the checkpointed balances", .timeLimit(.minutes(5)))
struct BoundedLedgerTests {
    @Test func theCheckReportsATamperedCheckpointFastAndInFull() async throws {
        try await TestNode.with { client, node in
            _ = try await Fixture.make(client, agents: [("a1", "100")])
            _ = try await client.spend(agent: "a1", SpendRequest(amount: 3, idempotencyKey: "k1"))
            let fast = try #require(try await client.ledgerCheck().checkpoint)
            #expect(fast.mode == "fast" && fast.consistent && fast.mismatchedAccounts.isEmpty && fast.transfersRead == nil)
            let full = try #require(try await client.ledgerCheck(full: true).checkpoint)
            #expect(full.mode == "full" && full.consistent && full.memoryMismatchedAccounts == [])
            #expect(full.transfersRead == 3)
            let (status, problem) = try await BadInputTests.send(client, .GET, "/v1/ledger/check?full=maybe")
            #expect(status == 400 && problem?.code == "invalid_request")

            let database = try DatabaseQueue(path: node.operations.store.path)
            try await database.write { db in
                try db.execute(sql: "UPDATE accounts SET debits_posted = debits_posted + 1 WHERE id = 'agent:a1'")
            }
            try database.close()
            let tampered = try await client.ledgerCheck()
            #expect(tampered.checkpoint?.consistent == false)
            #expect(tampered.checkpoint?.mismatchedAccounts == ["agent:a1"])
            let tamperedFull = try #require(try await client.ledgerCheck(full: true).checkpoint)
            #expect(tamperedFull.mismatchedAccounts == ["agent:a1"])
            #expect(tamperedFull.memoryMismatchedAccounts == ["agent:a1"])
        }
    }
}
