import Crypto
import Foundation
import NIOHTTP1
import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsNode
import SafeguardsTestKit
import SafeguardsTransport
import Testing

/// Two in-process nodes over mutual TLS: system_a asks, system_b gives.
enum SettlementPair {
    /// system_b offers system_a `offer` (trust 0.8 on both sides), with a per-request cap of 10000.
    static func with(
        offer: String = "2000", trustOfAOnB: String = "0.8", configureB: @escaping @Sendable (inout NodeConfig) -> Void = { _ in },
        _ body: @Sendable (SafeguardsClient, SafeguardsClient, Int) async throws -> Void
    ) async throws {
        try await TestNode.withFederated("system_b", configure: { config in
            config.federation?.offers = [try! SystemID("system_a"): try! Amount(parsing: offer)]
            config.federation?.settlement.perRequestCap = 10_000
            patient(&config)
            configureB(&config)
        }) { clientB, _, portB in
            try await TestNode.withFederated("system_a", configure: patient) { clientA, _, portA in
                try await DevelopmentFederation.register("system_b", port: portB, with: clientA)
                try await DevelopmentFederation.register("system_a", port: portA, trust: trustOfAOnB, with: clientB)
                try await body(clientA, clientB, portB)
            }
        }
    }

    /// Both peers are up for the whole test, so a request is given time for a first connection
    /// on a loaded machine: a grant proposal that timed out would stay pending where the test
    /// expects its answer.
    @Sendable static func patient(_ config: inout NodeConfig) {
        config.federation?.requestTimeout = .seconds(30)
        config.federation?.handshakeTimeout = .seconds(30)
    }

    /// A federated pool on system_a backed by system_b, with agent `agent` holding 100 locally.
    static func federatedPool(_ clientA: SafeguardsClient, agent: String = "x", remote: String = "2000") async throws
        -> FederatedPoolBody
    {
        let pool = try await clientA.createFederatedPool(
            CreateFederatedPoolRequest(
                name: "cross_system_pool", localBudget: 5000, priority: 8,
                remoteAllocations: ["system_b": try Amount(parsing: remote)]))
        _ = try await clientA.registerAgent(
            RegisterAgentRequest(agentID: agent, poolID: pool.poolID, priority: "HIGH", initialBudget: 100))
        return pool
    }

    /// The giver's books for `peer` hold its whole offer: what is left on the line plus what was drawn.
    static func expectConserved(giver: SafeguardsClient, peer: String, offer: Amount) async throws {
        let accounts = try await giver.accountBalances()
        let line = accounts.balance("credit:\(peer)")
        let given = accounts.balance("given:\(peer)")
        #expect(try line.adding(given) == offer)
        #expect(try await giver.ledgerCheck().balanced)
    }
}

@Suite("Remote budget requests between two nodes", .timeLimit(.minutes(5)))
struct SettlementTests {
    @Test func aFederatedPoolGetsGrantsScaledByTrust() async throws {
        try await SettlementPair.with { clientA, clientB, _ in
            let pool = try await SettlementPair.federatedPool(clientA)
            let grant = try #require(pool.grants["system_b"])
            #expect(grant.status == "accepted")
            #expect(grant.requested == 2000)
            #expect(grant.granted == 1600)  // 2000 offered × trust 0.8
            #expect(pool.pool.total == 5000)
            // Both sides hold the grant in the ledger: a receivable on A, the credit line on B.
            #expect(try await clientA.accountBalances().balance("receivable:system_b") == 1600)
            #expect(try await clientB.accountBalances().balance("credit:system_a") == 2000)
            // A second pool gets only what is left of offer × trust.
            let second = try await clientA.createFederatedPool(
                CreateFederatedPoolRequest(name: "second", localBudget: 10, priority: 1, remoteAllocations: ["system_b": 1000]))
            #expect(second.grants["system_b"]?.granted == 0)
            #expect(second.grants["system_b"]?.status == "rejected")
            #expect(second.grants["system_b"]?.reason == "insufficient_credit")
        }
    }

    @Test func anAcceptedRequestIsSettledOnBothSidesUnderOneID() async throws {
        try await SettlementPair.with { clientA, clientB, _ in
            _ = try await SettlementPair.federatedPool(clientA)
            let answer = try await clientA.requestRemoteBudget(
                RemoteBudgetRequest(
                    agentID: "x", remoteSystemID: "system_b", amount: 200, metadata: ["purpose": "critical_operation"]))
            #expect(answer.status == "accepted")
            #expect(answer.direction == "outgoing")
            #expect(answer.receipt?.signedEnvelope != nil)
            let onB = try await clientB.federationTransaction(answer.transactionID)
            #expect(onB.direction == "incoming")
            #expect(onB.status == "accepted")
            #expect(onB.amount == 200)
            #expect(onB.peer == "system_a")
            #expect(try await clientA.agent("x").budget.total == 300)
            #expect(try await clientA.accountBalances().balance("receivable:system_b") == 1400)
            try await SettlementPair.expectConserved(giver: clientB, peer: "system_a", offer: 2000)
            #expect(try await clientB.accountBalances().balance("given:system_a") == 200)
            #expect(try await clientA.ledgerCheck().balanced)
            let listed = try await clientB.federationTransactions(peer: "system_a")
            #expect(listed.transactions.map(\.transactionID) == [answer.transactionID])
            let report = try await clientA.verifyEvidence()
            #expect(report.checked == 1)
            #expect(report.problems.isEmpty)
        }
    }

    @Test func aRepeatedIdempotencyKeyCreditsOnce() async throws {
        try await SettlementPair.with { clientA, clientB, _ in
            _ = try await SettlementPair.federatedPool(clientA)
            // A key of the longest length: its transaction id `tx:KEY` is longer than a caller's id,
            // and the giver reads it back.
            let key = String(repeating: "k", count: 128)
            let request = RemoteBudgetRequest(agentID: "x", remoteSystemID: "system_b", amount: 50, idempotencyKey: key)
            let bytes = Array(try APICoding.encode(request))
            let firstAnswer = try await clientA.raw(.POST, "/v1/federation/requests", body: bytes)
            let secondAnswer = try await clientA.raw(.POST, "/v1/federation/requests", body: bytes)
            #expect(firstAnswer.status == 200 && firstAnswer.header("Idempotent-Replayed") == nil)
            #expect(secondAnswer.status == 200 && secondAnswer.header("Idempotent-Replayed") == "true")
            let first = try APICoding.decode(FederationTransactionBody.self, from: Data(firstAnswer.body))
            let second = try APICoding.decode(FederationTransactionBody.self, from: Data(secondAnswer.body))
            #expect(first.transactionID == second.transactionID)
            #expect(first.transactionID == "tx:\(key)")
            #expect(second.status == "accepted")
            #expect(try await clientB.federationTransaction(first.transactionID).status == "accepted")
            #expect(try await clientA.agent("x").budget.total == 150)
            #expect(try await clientB.accountBalances().balance("given:system_a") == 50)
            // The same key for another amount is a conflict and moves nothing.
            var other = request
            other.amount = 60
            await #expect(throws: APIClientError.self) { try await clientA.requestRemoteBudget(other) }
            #expect(try await clientA.agent("x").budget.total == 150)
        }
    }

    @Test func rejectionsCarryAReasonAndMoveNothing() async throws {
        try await SettlementPair.with { clientA, clientB, _ in
            _ = try await SettlementPair.federatedPool(clientA)
            // Over the credit line: 2000 × 0.8 = 1600 may be drawn.
            let over = try await clientA.requestRemoteBudget(
                RemoteBudgetRequest(agentID: "x", remoteSystemID: "system_b", amount: 1601))
            #expect(over.status == "rejected")
            #expect(over.reason == "insufficient_credit")
            #expect(try await clientB.federationTransaction(over.transactionID).status == "rejected")
            #expect(try await clientA.agent("x").budget.total == 100)
            #expect(try await clientB.accountBalances().balance("given:system_a") == 0)
            // A peer that is not registered here.
            do {
                _ = try await clientA.requestRemoteBudget(
                    RemoteBudgetRequest(agentID: "x", remoteSystemID: "system_c", amount: 1))
                Issue.record("a request to an unknown peer was accepted")
            } catch {
                #expect((error as? APIClientError)?.code == "unknown_peer")
            }
            // Zero, negative, and an unknown agent.
            for amount in [Amount.zero, Amount(micros: -1)] {
                do {
                    _ = try await clientA.requestRemoteBudget(
                        RemoteBudgetRequest(agentID: "x", remoteSystemID: "system_b", amount: amount))
                    Issue.record("amount \(amount) was accepted")
                } catch {
                    #expect((error as? APIClientError)?.code == "invalid_amount")
                }
            }
            do {
                _ = try await clientA.requestRemoteBudget(
                    RemoteBudgetRequest(agentID: "nobody", remoteSystemID: "system_b", amount: 1))
                Issue.record("an unknown agent was accepted")
            } catch {
                #expect((error as? APIClientError)?.code == "not_found")
            }
            try await SettlementPair.expectConserved(giver: clientB, peer: "system_a", offer: 2000)
        }
    }

    @Test func aPeerTrustedBelowTheMinimumDrawsNothing() async throws {
        try await SettlementPair.with(trustOfAOnB: "0.3") { clientA, clientB, _ in
            let pool = try await SettlementPair.federatedPool(clientA)
            #expect(pool.grants["system_b"]?.reason == "trust_too_low")
            let answer = try await clientA.requestRemoteBudget(
                RemoteBudgetRequest(agentID: "x", remoteSystemID: "system_b", amount: 10))
            #expect(answer.status == "rejected")
            #expect(answer.reason == "trust_too_low")
            #expect(try await clientA.agent("x").budget.total == 100)
            try await SettlementPair.expectConserved(giver: clientB, peer: "system_a", offer: 2000)
        }
    }

    @Test func unusedRemoteBudgetGoesBack() async throws {
        try await SettlementPair.with { clientA, clientB, _ in
            _ = try await SettlementPair.federatedPool(clientA)
            _ = try await clientA.requestRemoteBudget(
                RemoteBudgetRequest(agentID: "x", remoteSystemID: "system_b", amount: 300))
            let returned = try await clientA.returnRemoteBudget(
                RemoteReturnRequest(agentID: "x", remoteSystemID: "system_b", amount: 120))
            #expect(returned.status == "returned")
            #expect(try await clientB.federationTransaction(returned.transactionID).status == "returned")
            #expect(try await clientA.agent("x").budget.total == 280)
            #expect(try await clientB.accountBalances().balance("given:system_a") == 180)
            // More than was drawn and not returned is refused before anything is sent.
            do {
                _ = try await clientA.returnRemoteBudget(
                    RemoteReturnRequest(agentID: "x", remoteSystemID: "system_b", amount: 181))
                Issue.record("an over-return was accepted")
            } catch {
                #expect((error as? APIClientError)?.code == "insufficient_budget")
            }
            try await SettlementPair.expectConserved(giver: clientB, peer: "system_a", offer: 2000)
        }
    }

    @Test func forgedAndReplayedRequestsAreRefusedAndMoveNothing() async throws {
        try await SettlementPair.with { clientA, clientB, portB in
            _ = try await SettlementPair.federatedPool(clientA)
            var raw = try RawPeer("system_a", to: "system_b", port: portB)
            func request(_ id: String, signer: Curve25519.Signing.PrivateKey? = nil) throws -> Envelope {
                let body = RemoteTransferRequest(
                    transactionID: try TransferID(id), requester: try SystemID("system_a"),
                    giver: try SystemID("system_b"), amount: 25, agentID: try AgentID("x"), createdAt: .now())
                return try Envelope.sign(
                    type: .transferRequest, sender: SystemID("system_a"), body: body.encodedBody(), now: .now(),
                    nonceGenerator: &raw.random, key: signer ?? RawPeer.signingKey(of: "system_a"))
            }
            // Signed by a key that is not system_a's pinned key.
            let forged = try request("forged-1", signer: Curve25519.Signing.PrivateKey())
            #expect(RawPeer.errorCode(try await raw.send(forged.encode())) == "invalid_signature")
            // A genuine request is accepted once; the same bytes again are a replay.
            let genuine = try request("genuine-1")
            let answer = try await raw.send(genuine.encode())
            #expect(answer.type == .transferReceipt)
            #expect(RawPeer.errorCode(try await raw.send(genuine.encode())) == "replayed")
            let transactions = try await clientB.federationTransactions(peer: "system_a").transactions
            #expect(transactions.map(\.transactionID) == ["genuine-1"])
            #expect(try await clientB.accountBalances().balance("given:system_a") == 25)
            try await SettlementPair.expectConserved(giver: clientB, peer: "system_a", offer: 2000)
            await raw.dialer.shutdown()
        }
    }
}

@Suite("Remote requests across restarts and limits", .timeLimit(.minutes(5)))
struct SettlementRecoveryTests {
    @Test func theGiversRateLimitRejectsPastItsQuota() async throws {
        try await SettlementPair.with(configureB: { config in
            config.federation?.settlement.rateLimit = 2
            config.federation?.settlement.rateWindow = .seconds(3600)
        }) { clientA, clientB, _ in
            _ = try await SettlementPair.federatedPool(clientA)
            var statuses: [String] = []
            for _ in 0..<3 {
                let answer = try await clientA.requestRemoteBudget(
                    RemoteBudgetRequest(agentID: "x", remoteSystemID: "system_b", amount: 10))
                statuses.append(answer.reason ?? answer.status)
            }
            #expect(statuses == ["accepted", "accepted", "rate_limited"])
            #expect(try await clientB.accountBalances().balance("given:system_a") == 20)
            #expect(try await clientA.agent("x").budget.total == 120)
        }
    }

    /// system_a asks while system_b is down, is restarted, and settles once system_b is up.
    @Test func aRequesterThatRestartsResumesItsPendingTransfers() async throws {
        let directory = try makeTemporaryDirectory()
        let portB = try freeLoopbackPort()
        @Sendable func configureA(_ config: inout NodeConfig) {
            config.federation?.settlement.answerWait = .milliseconds(200)
            config.federation?.settlement.retryInitial = .milliseconds(50)
            config.federation?.settlement.retryMaximum = .milliseconds(200)
        }
        let pending = try await TestNode.withFederated("system_a", dataDirectory: directory, configure: configureA) { clientA, _, _ in
            try await DevelopmentFederation.register("system_b", port: portB, with: clientA)
            let pool = try await clientA.createFederatedPool(
                CreateFederatedPoolRequest(name: "p", localBudget: 100, priority: 5, remoteAllocations: ["system_b": 500]))
            #expect(pool.grants["system_b"]?.status == "pending")
            _ = try await clientA.registerAgent(
                RegisterAgentRequest(agentID: "x", poolID: pool.poolID, priority: "HIGH", initialBudget: 10))
            let answer = try await clientA.requestRemoteBudget(
                RemoteBudgetRequest(agentID: "x", remoteSystemID: "system_b", amount: 40, idempotencyKey: "while-down"))
            #expect(answer.status == "pending")
            // Held for the giver's decision: not yet the agent's.
            #expect(try await clientA.agent("x").budget.total == 10)
            return answer.transactionID
        }
        try await TestNode.withFederated("system_b", configure: { config in
            config.federation?.listen = HostPort(host: "127.0.0.1", port: portB)
            config.federation?.offers = [try! SystemID("system_a"): 1000]
        }) { clientB, _, _ in
            try await DevelopmentFederation.register("system_a", port: 1, with: clientB)
            try await TestNode.withFederated("system_a", dataDirectory: directory, configure: configureA) { clientA, _, _ in
                var transaction = try await clientA.federationTransaction(pending)
                _ = try await eventually(100) {
                    transaction = try await clientA.federationTransaction(pending)
                    return transaction.status != "pending"
                }
                #expect(transaction.status == "accepted")
                #expect(try await clientB.federationTransaction(pending).status == "accepted")
                #expect(try await clientA.agent("x").budget.total == 50)
                #expect(try await clientB.accountBalances().balance("given:system_a") == 40)
                // The proposal sent while system_b was down was granted too.
                let poolID = try #require(await clientA.pools().pools.first?.id)
                var grant = try await clientA.federatedPool(poolID).grants["system_b"]
                _ = try await eventually(100) {
                    grant = try await clientA.federatedPool(poolID).grants["system_b"]
                    return grant?.status != "pending"
                }
                #expect(grant?.granted == 500)  // all of it: 1000 offered × trust 0.8 leaves 800
                #expect(try await clientA.ledgerCheck().balanced)
                #expect(try await clientB.ledgerCheck().balanced)
            }
        }
    }
}

@Suite("Emergencies in a federated pool", .timeLimit(.minutes(5)))
struct FederatedEmergencyTests {
    @Test func anEmergencyWithAnEmptyReserveAsksThePeerThatBacksThePool() async throws {
        try await SettlementPair.with { clientA, clientB, _ in
            // The whole local budget is with the agent: the pool's reserve is empty.
            let pool = try await clientA.createFederatedPool(
                CreateFederatedPoolRequest(name: "fed", localBudget: 100, priority: 5, remoteAllocations: ["system_b": 500]))
            _ = try await clientA.registerAgent(
                RegisterAgentRequest(agentID: "x", poolID: pool.poolID, priority: "CRITICAL", initialBudget: 100))
            _ = try await clientA.spend(agent: "x", SpendRequest(amount: 98))
            _ = try await clientA.setPriorityReallocation(
                pool: pool.poolID,
                PriorityReallocationBody(
                    reallocationIntervalSeconds: 86_400, emergencyThreshold: 20, minBudgetPercentage: "0",
                    reservePercentage: "0"))
            _ = try await clientA.applyPolicies(pool: pool.poolID)
            // 2 available, threshold 20: system_b gave the missing 18.
            #expect(try await clientA.agent("x").budget.available == 20)
            let decision = try #require(
                try await clientA.decisions(pool: pool.poolID).decisions.first { $0.policy == "priority_reallocation.remote_emergency" })
            #expect(decision.reason.contains("system_b"))
            let transaction = try #require(decision.inputs["transaction_id"])
            #expect(try await clientB.federationTransaction(transaction).status == "accepted")
            #expect(try await clientB.accountBalances().balance("given:system_a") == 18)
            #expect(try await clientA.ledgerCheck().balanced)
        }
    }
}
