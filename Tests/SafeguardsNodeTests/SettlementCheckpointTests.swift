import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
@testable import SafeguardsNode
import SafeguardsStore
import Testing

/// The settlement shell keeps only what is live: decided records leave memory once durable, a
/// restart loads the checkpoint and the pending transfers, and the transaction list pages from SQLite.
@Suite("Settlement checkpoint and paging from the store", .timeLimit(.minutes(5)))
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

    @Test func aRequesterRestartKeepsWhatItDrewAndFindsSettledTransfersInTheStore() async throws {
        try await TestNode.withFederated("system_b", configure: { config in
            config.federation?.offers = [SystemID(unchecked: "system_a"): 1000]
        }) { clientB, _, portB in
            try await DevelopmentFederation.register("system_a", port: 1, with: clientB)
            try await HeldSettlement.with(
                system: "system_a", peer: "system_b", peerPort: portB, offer: nil, answerWait: .seconds(120)
            ) { requester in
                await requester.storage.stopHolding()
                let operations = requester.node.operations
                let pool = try await operations.createPool(CreatePoolRequest(name: "pool", initialBudget: 100, priority: 5))
                _ = try await operations.registerAgent(
                    RegisterAgentRequest(agentID: "agent", poolID: pool.0.pool.id.rawValue, priority: "HIGH", initialBudget: 10))
                let giver = SystemID(unchecked: "system_b")
                for index in 0..<8 {
                    let body = try await requester.service.requestBudget(
                        agent: AgentID(unchecked: "agent"), from: giver, amount: 2, metadata: [:],
                        key: IdempotencyKey(unchecked: "k\(index)"))
                    #expect(body.status == "accepted")
                }
                #expect(await requester.service.machine.heldRecordCount == 0)
                // A client retry of a settled id answers the stored outcome, and starts nothing.
                let retried = try await requester.service.requestBudget(
                    agent: AgentID(unchecked: "agent"), from: giver, amount: 2, metadata: [:],
                    key: IdempotencyKey(unchecked: "k0"))
                #expect(retried.status == "accepted")
                let after = try requester.restarted()
                #expect(await after.machine.heldRecordCount == 0)
                #expect(await after.machine.creditTaken[giver]?.drawn == 16)
                #expect(await after.machine.totals == requester.service.machine.totals)
                #expect(await after.settlementDigest(with: giver) == requester.service.settlementDigest(with: giver))
                #expect(await after.machine.outgoingState(TransferID(unchecked: "tx:k3"))?.receipt?.status == .accepted)
                #expect(await after.transactions(peer: giver).count == 8)
                #expect(try EvidenceCheck.run(store: operations.store).problems.isEmpty)
            }
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
