import SafeguardsCore
import SafeguardsFederation
import Testing

private typealias F = SettlementFixtures

@Suite("Settlement machine: giver side")
struct SettlementGiverTests {
    @Test("an accepted request is persisted before its receipt is sent, and uses the credit line")
    func persistBeforeReply() throws {
        var giver = F.giver()
        let directives = giver.onTransferRequest(from: F.a, F.request("t1", 200), peerTrust: F.trust, now: F.start)
        #expect(directives.count == 2)
        guard case .persist(.incomingDecided(let decision)) = directives.first,
            case .reply(let peer, .transferReceipt(let receipt)) = directives.last
        else {
            Issue.record("expected persist then reply, got \(directives)")
            return
        }
        #expect(peer == F.a)
        #expect(decision.receipt == receipt)
        #expect(receipt.status == .accepted && receipt.amount == 200 && receipt.reason == nil)
        #expect(giver.creditLines[F.a]?.used == 200)
    }

    @Test("settlementRetryReturnsFirstReceipt: a repeat with the same fields gets the same receipt")
    func settlementRetryReturnsFirstReceipt() {
        var giver = F.giver()
        let first = giver.onTransferRequest(from: F.a, F.request("t1", 200), peerTrust: F.trust, now: F.start)
        let later = F.start.advanced(by: .seconds(5))
        let again = giver.onTransferRequest(from: F.a, F.request("t1", 200), peerTrust: F.trust, now: later)
        #expect(F.records(again).isEmpty)
        #expect(F.transferReceipt(again) == F.transferReceipt(first))
        #expect(giver.creditLines[F.a]?.used == 200)
    }

    @Test("the same id with other fields is a conflict that changes nothing")
    func conflictChangesNothing() {
        var giver = F.giver()
        _ = giver.onTransferRequest(from: F.a, F.request("t1", 200), peerTrust: F.trust, now: F.start)
        let before = giver.incomingDecisions
        for request in [F.request("t1", 201), F.request("t1", 200, agent: AgentID(unchecked: "other"))] {
            let directives = giver.onTransferRequest(from: F.a, request, peerTrust: F.trust, now: F.start)
            #expect(F.records(directives).isEmpty)
            #expect(F.transferReceipt(directives)?.reason == .conflict)
        }
        #expect(giver.incomingDecisions == before)
        #expect(giver.creditLines[F.a]?.used == 200)
    }

    @Test(
        "each rejection reason moves nothing and is stored as final",
        arguments: [
            ("unknown peer", F.c, Amount(10), F.trust, SettlementRejectReason.unknownPeer),
            ("low trust", F.a, Amount(10), F.lowTrust, .trustTooLow),
            ("over cap", F.a, Amount(501), F.trust, .overRequestCap),
            ("over limit", F.a, Amount(450), F.trust, .insufficientCredit),
            ("zero", F.a, Amount.zero, F.trust, .invalidAmount),
        ])
    func rejectionsMoveNothing(
        name: String, peer: SystemID, amount: Amount, trust: TrustLevel, reason: SettlementRejectReason
    ) {
        var giver = F.giver()
        _ = giver.onTransferRequest(from: F.a, F.request("base", 400), peerTrust: F.trust, now: F.start)
        let request = RemoteTransferRequest(
            transactionID: F.id("t2"), requester: peer, giver: F.b, amount: amount, agentID: F.agent,
            metadata: ["why": "a long story"], createdAt: F.start)
        let directives = giver.onTransferRequest(from: peer, request, peerTrust: trust, now: F.start)
        let receipt = F.transferReceipt(directives)
        #expect(receipt?.status == .rejected)
        #expect(receipt?.reason == reason)
        #expect(giver.creditLines[F.a]?.used == 400)
        #expect(giver.incomingDecision(from: peer, F.id("t2")) == nil)
        #expect(giver.incomingRefusal(from: peer, F.id("t2"))?.receipt(giver: F.b) == receipt)
        guard case .persist(.incomingRefused(let refusal, forgotten: nil)) = directives.first else {
            Issue.record("a final rejection is persisted compactly before the reply")
            return
        }
        #expect(refusal.reason == reason && refusal.amount == amount)
        // A repeat gets the same receipt, and stores nothing more.
        let again = giver.onTransferRequest(from: peer, request, peerTrust: trust, now: F.start.advanced(by: .seconds(9)))
        #expect(F.records(again).isEmpty)
        #expect(F.transferReceipt(again) == receipt)
    }

    @Test("past the cap the oldest refusal is forgotten, and a late copy of it is refused as expired, never accepted")
    func forgottenRefusalsStayRefused() {
        var giver = F.giver(rate: RateLimitPolicy(maximumRequests: 1, window: .seconds(1)), refusalsKept: 2)
        let created = (0..<4).map { F.start.advanced(by: .milliseconds($0)) }
        // t0 is accepted (the window's one request); t1, t2, t3 are rate limited and stored compactly.
        for number in 0..<4 {
            _ = giver.onTransferRequest(
                from: F.a, F.request("t\(number)", 10, createdAt: created[number]), peerTrust: F.trust, now: F.start)
        }
        #expect(giver.incomingRefusal(from: F.a, F.id("t1")) == nil)
        #expect(giver.refusalCount(from: F.a) == 2)
        #expect(giver.refusalHorizon(of: F.a) == created[1])
        // After the window a copy of t1 (its first created_at) would pass every check: it must not.
        let later = F.start.advanced(by: .seconds(5))
        let late = giver.onTransferRequest(
            from: F.a, F.request("t1", 10, createdAt: created[1]), peerTrust: F.trust, now: later)
        #expect(F.transferReceipt(late)?.reason == .expired)
        #expect(F.records(late).isEmpty)
        #expect(giver.incomingOutcome(from: F.a, F.id("t1"), requestedAt: created[1]) == .rejected)
        #expect(giver.creditLines[F.a]?.used == 10)
        // A status query for it is "unknown"; a new id created after the horizon is decided.
        let query = StatusQuery(transactionID: F.id("t1"), kind: .transfer)
        guard case .statusAnswer(let answer) = F.messages(giver.onStatusQuery(from: F.a, query, now: later)).first else {
            Issue.record("no status answer")
            return
        }
        #expect(answer.isUnknown)
        let fresh = giver.onTransferRequest(from: F.a, F.request("t9", 10, createdAt: later), peerTrust: F.trust, now: later)
        #expect(F.transferReceipt(fresh)?.status == .accepted)
        // Rebuilt from what a store keeps (the remembered refusals and the horizon), it answers alike.
        let kept = giver.incomingRefusals.map { SettlementRecord.incomingRefused($0, forgotten: nil) }
        let rebuilt = try? SettlementMachine(
            configuration: giver.configuration, restoring: kept, refusalHorizons: [F.a: created[1]])
        #expect(rebuilt?.incomingOutcome(from: F.a, F.id("t1"), requestedAt: created[1]) == .rejected)
        #expect(rebuilt?.incomingRefusals == giver.incomingRefusals)
    }

    @Test("metadata over the limit is refused compactly, without the metadata")
    func oversizedMetadata() {
        var giver = F.giver()
        let big = ["why": String(repeating: "x", count: MetadataSize.defaultLimit)]
        let directives = giver.onTransferRequest(from: F.a, F.request("t1", 10, metadata: big), peerTrust: F.trust, now: F.start)
        #expect(F.transferReceipt(directives)?.reason == .metadataTooLarge)
        guard case .persist(.incomingRefused(let refusal, _)) = directives.first else {
            Issue.record("expected a compact refusal, got \(directives)")
            return
        }
        #expect(refusal.reason == .metadataTooLarge)
        #expect(giver.creditLines[F.a]?.used == .zero)
    }

    @Test("the per-peer rate limit rejects past the window's quota, and a new window admits again")
    func rateLimit() {
        var giver = F.giver(rate: RateLimitPolicy(maximumRequests: 2, window: .seconds(1)))
        let reasons = (1...3).map { number in
            F.transferReceipt(
                giver.onTransferRequest(from: F.a, F.request("t\(number)", 1), peerTrust: F.trust, now: F.start)
            )?.reason
        }
        #expect(reasons == [nil, nil, .rateLimited])
        let later = F.start.advanced(by: .seconds(1))
        let next = giver.onTransferRequest(from: F.a, F.request("t4", 1), peerTrust: F.trust, now: later)
        #expect(F.transferReceipt(next)?.status == .accepted)
        #expect(giver.creditLines[F.a]?.used == 3)
    }

    @Test("a body naming another requester than the channel's peer is refused and not stored")
    func misaddressed() {
        var giver = F.giver()
        let directives = giver.onTransferRequest(from: F.c, F.request("t1", 10), peerTrust: F.trust, now: F.start)
        #expect(F.records(directives).isEmpty)
        #expect(F.transferReceipt(directives)?.reason == .misaddressed)
        #expect(giver.incomingDecisions.isEmpty)
    }

    @Test("a status query answers the stored receipt, or unknown")
    func statusQuery() {
        var giver = F.giver()
        let receipt = F.transferReceipt(
            giver.onTransferRequest(from: F.a, F.request("t1", 10), peerTrust: F.trust, now: F.start))
        func answer(_ id: String, from peer: SystemID) -> StatusAnswer? {
            let query = StatusQuery(transactionID: F.id(id), kind: .transfer)
            guard case .statusAnswer(let answer) = F.messages(giver.onStatusQuery(from: peer, query, now: F.start)).first
            else { return nil }
            return answer
        }
        #expect(answer("t1", from: F.a)?.receipt == receipt)
        #expect(answer("t2", from: F.a)?.isUnknown == true)
        #expect(answer("t1", from: F.c)?.isUnknown == true)
    }
}
