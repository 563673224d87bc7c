import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
@testable import SafeguardsNode
import Testing

/// The giver's events are pipelined: the machine steps each at once, and their writes are in flight
/// together. These hold writes by hand to look at the moments in between.
@Suite("Settlement events pipelined through group commit", .timeLimit(.minutes(5)))
struct SettlementPipelineTests {
    @Test func requestsAreDecidedWhileEarlierDecisionsAreBeingWritten() async throws {
        try await HeldSettlement.giver { giver in
            let first = try giver.send("tx-1")
            await giver.storage.waitForWrites(1)
            // One event at a time would hold the second request until the first write ended.
            let second = try giver.send("tx-2")
            await giver.storage.waitForWrites(2)
            #expect(await giver.storage.writesArrived == 2)
            await giver.storage.stopHolding()
            #expect(await first.answer?.status == .accepted)
            #expect(await second.answer?.status == .accepted)
            let drawn = await giver.drawn()
            #expect(drawn.ledger == 20 && drawn.machine == 20)
        }
    }

    @Test func aRepeatWaitsUntilTheFirstDecisionIsOnDisk() async throws {
        try await HeldSettlement.giver { giver in
            let first = try giver.send("tx-1")
            await giver.storage.waitForWrites(1)
            let repeated = try giver.send("tx-1")
            // The machine knows the decision, but the disk does not yet: no answer from it.
            #expect(await repeated.staysUnanswered())
            await giver.storage.finish(1)
            let answer = try #require(await first.answer)
            #expect(answer.status == .accepted)
            #expect(await repeated.answer == answer)
            #expect(await giver.storage.writesArrived == 1)
        }
    }

    @Test func aFailedWriteIsAnsweredByNoOneThatSawItAndTheMachineIsRebuilt() async throws {
        try await HeldSettlement.giver { giver in
            let failing = try giver.send("tx-1", amount: 100)
            await giver.storage.waitForWrites(1)
            // A repeat and another request step while the first decision is in flight: both saw it.
            let repeated = try giver.send("tx-1", amount: 100)
            let other = try giver.send("tx-2", amount: 10)
            await giver.storage.waitForWrites(2)
            await giver.storage.finish(2)
            #expect(await other.staysUnanswered())
            await giver.storage.finish(1, failing: true)
            #expect(await failing.answer == nil)
            #expect(await repeated.answer == nil)
            // tx-2 is on disk but was decided with tx-1 counted: it is not answered now...
            #expect(await other.answer == nil)
            // ...and its repeat gets the stored decision; tx-1 is decided anew, on the rebuilt machine.
            await giver.storage.stopHolding()
            #expect(try await giver.send("tx-2", amount: 10).answer?.status == .accepted)
            #expect(try await giver.send("tx-1", amount: 100).answer?.status == .accepted)
            let drawn = await giver.drawn()
            #expect(drawn.ledger == 110 && drawn.machine == 110)
            #expect(await giver.storage.writesArrived == 3)
        }
    }

    @Test func anEventThatArrivesAfterAFailureStepsOnTheRebuiltMachine() async throws {
        try await HeldSettlement.giver(offer: 100) { giver in
            let failing = try giver.send("tx-1", amount: 70)
            await giver.storage.waitForWrites(1)
            let other = try giver.send("tx-2", amount: 5)
            await giver.storage.waitForWrites(2)
            await giver.storage.finish(1, failing: true)
            #expect(await failing.answer == nil)
            // The rebuild waits for tx-2's write; a request arriving now waits for the rebuild. On
            // a machine that still counted the failed 70 it would not fit (the line holds 80 at trust 0.8).
            let late = try giver.send("tx-3", amount: 50)
            #expect(await late.staysUnanswered())
            #expect(await giver.storage.writesArrived == 2)
            await giver.storage.stopHolding()
            #expect(await other.answer == nil)
            #expect(await late.answer?.status == .accepted)
            let drawn = await giver.drawn()
            #expect(drawn.ledger == 55 && drawn.machine == 55)
        }
    }

    @Test func theRequesterAnswersOnceTheReceiptIsStoredAndShowsPendingUntilThen() async throws {
        try await TestNode.withFederated("system_b", configure: { config in
            config.federation?.offers = [SystemID(unchecked: "system_a"): 1000]
        }) { clientB, _, portB in
            try await DevelopmentFederation.register("system_a", port: 1, with: clientB)
            // The request waits for its answer far longer than the test holds its writes, so on a
            // loaded machine it does not answer `pending` first.
            try await HeldSettlement.with(
                system: "system_a", peer: "system_b", peerPort: portB, offer: nil, answerWait: .seconds(120)
            ) { requester in
                let operations = requester.node.operations
                let pool = try await operations.createPool(CreatePoolRequest(name: "pool", initialBudget: 100, priority: 5))
                _ = try await operations.registerAgent(
                    RegisterAgentRequest(agentID: "agent", poolID: pool.0.pool.id.rawValue, priority: "HIGH", initialBudget: 10))
                let service = requester.service
                let answered = SetOnce()
                let asked = Task {
                    defer { answered.set() }
                    return try await service.requestBudget(
                        agent: AgentID(unchecked: "agent"), from: SystemID(unchecked: "system_b"), amount: 5,
                        metadata: [:], key: IdempotencyKey(unchecked: "held"))
                }
                await requester.storage.waitForWrites(1)
                await requester.storage.finish(1)
                // The receipt came back and is applied in memory; its record is held.
                await requester.storage.waitForWrites(2)
                let id = TransferID(unchecked: "tx:held")
                #expect(await service.machine.outgoingState(id)?.receipt?.status == .accepted)
                #expect(await service.transaction(id)?.status == "pending")
                #expect(await service.transactions(peer: nil).map(\.status) == ["pending"])
                #expect(await answered.staysUnset())
                await requester.storage.finish(2)
                #expect(try await asked.value.status == "accepted")
                #expect(await service.transaction(id)?.status == "accepted")
            }
        }
    }
}
