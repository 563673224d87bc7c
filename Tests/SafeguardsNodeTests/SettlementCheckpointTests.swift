import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
@testable import SafeguardsNode
import SafeguardsStore
import Testing

/// The settlement shell keeps only what is live: decided records leave memory once durable, a
/// restart loads the checkpoint and the pending transfers, and the transaction list pages from SQLite.
@Suite("Settlement checkpoint and paging from the store", .timeLimit(.minutes(2)))
struct SettlementCheckpointTests {
    @Test func decidedRecordsLeaveMemoryAndARepeatIsAnsweredFromTheStore() async throws {
        try await HeldSettlement.giver { giver in
            await giver.storage.stopHolding()
            for index in 0..<30 { #expect(try await giver.send("tx-\(index)", amount: 5).answer?.status == .accepted) }
            #expect(await giver.service.machine.heldRecordCount == 0)
            let writes = await giver.storage.writesArrived
            let first = try #require(await giver.service.transaction(TransferID(unchecked: "tx-0"))?.receipt)
            let repeated = try #require(try await giver.send("tx-0", amount: 5).answer)
            #expect(repeated.status == .accepted)
            #expect(repeated.decidedAt.description == first.decidedAt)
            // Nothing moved twice: no write, the same use of the line.
            #expect(await giver.storage.writesArrived == writes)
            let drawn = await giver.drawn()
            #expect(drawn.ledger == 150 && drawn.machine == 150)
            #expect(try await giver.send("tx-0", amount: 6).answer?.reason == .conflict)
        }
    }

    @Test func aRestartEqualsTheNodeBeforeItWithoutReplayingTheRecords() async throws {
        try await HeldSettlement.giver { giver in
            await giver.storage.stopHolding()
            for index in 0..<25 { _ = try await giver.send("tx-\(index)", amount: 7).answer }
            // Over the cap: a refusal, kept in its own table and listed too.
            #expect(try await giver.send("big", amount: 900).answer?.status == .rejected)
            let before = giver.service
            let after = try giver.restarted()
            let peer = HeldSettlement.requester
            #expect(await after.machine.heldRecordCount == 0)
            #expect(await after.machine.creditLines == before.machine.creditLines)
            #expect(await after.machine.totals == before.machine.totals)
            #expect(await after.settlementDigest(with: peer) == before.settlementDigest(with: peer))
            #expect(await after.machine.incomingRefusals == before.machine.incomingRefusals)
            let listed = await after.transactions(peer: nil)
            #expect(listed.count == 26)
            #expect(listed == (await before.transactions(peer: nil)))
            #expect(listed.first?.transactionID == "big")
            // The checkpoint is the sum of the records.
            let report = try EvidenceCheck.run(store: giver.node.operations.store)
            #expect(report.problems.isEmpty)
        }
    }

    @Test func pagingReturnsEachTransactionOnceWhileNewOnesAreSettled() async throws {
        try await HeldSettlement.giver { giver in
            await giver.storage.stopHolding()
            for index in 0..<20 { _ = try await giver.send("old-\(index)", amount: 1).answer }
            var seen: [String] = []
            var page = PageRequest(list: "transactions", limit: 6)
            var written = 0
            while true {
                let list = try await giver.service.transactions(peer: HeldSettlement.requester, page: page)
                seen += list.transactions.map(\.transactionID)
                // New transactions arrive between the pages.
                for _ in 0..<3 {
                    _ = try await giver.send("new-\(written)", amount: 1).answer
                    written += 1
                }
                guard let next = list.next else { break }
                page.after = try PageRequest.decode(next, list: "transactions")
            }
            #expect(Set(seen).count == seen.count)
            #expect(Set(seen) == Set((0..<20).map { "old-\($0)" }))
            #expect(seen.first == "old-19")
            // Another peer's filter finds nothing.
            let none = try await giver.service.transactions(peer: SystemID(unchecked: "system_c"), page: PageRequest(list: "transactions"))
            #expect(none.transactions.isEmpty)
        }
    }
}
