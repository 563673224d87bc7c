import SafeguardsCore
import SafeguardsFederation
import Testing

private typealias F = SettlementFixtures

@Suite("Settlement machine: requester side")
struct SettlementRequesterTests {
    /// A requester with `t1` (200) sent, and the giver's answer to it.
    private func sentAndAnswered() throws -> (SettlementMachine, TransferReceipt) {
        var requester = F.requester()
        var giver = F.giver()
        let sent = try requester.requestBudget(F.id("t1"), from: F.b, agent: F.agent, amount: 200, now: F.start)
        guard case .transferRequest(let request) = F.messages(sent).first,
            let receipt = F.transferReceipt(giver.onTransferRequest(from: F.a, request, peerTrust: F.trust, now: F.start))
        else { throw SettlementError.amountOverflow }
        return (requester, receipt)
    }

    @Test("a request is persisted before it is sent, then a tick is scheduled")
    func persistBeforeSend() throws {
        var requester = F.requester()
        let directives = try requester.requestBudget(F.id("t1"), from: F.b, agent: F.agent, amount: 200, now: F.start)
        guard directives.count == 3, case .persist(.outgoingCreated(let transfer)) = directives[0],
            case .send(let peer, .transferRequest(let request)) = directives[1],
            case .scheduleTick(let delay) = directives[2]
        else {
            Issue.record("expected persist, send, scheduleTick; got \(directives)")
            return
        }
        #expect(peer == F.b && transfer.transactionID == request.transactionID && request.amount == 200)
        #expect(delay == .milliseconds(200))
        #expect(requester.outgoingState(F.id("t1"))?.isPending == true)
    }

    @Test("pending requests are re-sent with the same id and exponential backoff")
    func retryBackoff() throws {
        var requester = F.requester()
        _ = try requester.requestBudget(F.id("t1"), from: F.b, agent: F.agent, amount: 200, now: F.start)
        var sendTimes: [Int64] = []
        for millis in stride(from: 0, through: 6000, by: 100) {
            let now = F.start.advanced(by: .milliseconds(millis))
            let directives = requester.tick(now: now)
            for case .transferRequest(let request) in F.messages(directives) {
                #expect(request.transactionID == F.id("t1") && request.amount == 200)
                sendTimes.append(Int64(millis))
            }
        }
        // Sent at 0; retries after 200, 400, 800, 1600, then every 2000 (the maximum).
        #expect(sendTimes == [200, 600, 1400, 3000, 5000])
    }

    @Test("an accepted receipt settles once; duplicates are ignored; a contradiction is reported, not applied")
    func receiptsAndDuplicates() throws {
        var (requester, receipt) = try sentAndAnswered()
        let settled = requester.onTransferReceipt(from: F.b, receipt, now: F.start)
        #expect(F.records(settled) == [.outgoingSettled(try #require(requester.outgoing[F.id("t1")]?.transfer), receipt)])
        #expect(requester.outgoingState(F.id("t1")) == .accepted(receipt))
        #expect(requester.creditTaken[F.b]?.drawn == 200)
        #expect(requester.onTransferReceipt(from: F.b, receipt, now: F.start).isEmpty)
        var contradiction = receipt
        contradiction.status = .rejected
        contradiction.reason = .insufficientCredit
        let reported = requester.onTransferReceipt(from: F.b, contradiction, now: F.start)
        guard case .reportMismatch(let mismatch) = reported.first, reported.count == 1 else {
            Issue.record("expected one mismatch report, got \(reported)")
            return
        }
        #expect(mismatch.problem == .contradictsStored)
        #expect(requester.outgoingState(F.id("t1")) == .accepted(receipt))
        #expect(requester.creditTaken[F.b]?.drawn == 200)
    }

    @Test("receipts from another peer, for another amount, or with a conflict reason are not applied")
    func foreignReceipts() throws {
        var (requester, receipt) = try sentAndAnswered()
        var otherAmount = receipt
        otherAmount.amount = 201
        var conflict = receipt
        conflict.status = .rejected
        conflict.reason = .conflict
        let cases: [(SystemID, TransferReceipt, EvidenceMismatch.Problem)] = [
            (F.c, receipt, .unknownTransaction), (F.b, otherAmount, .fieldsDiffer), (F.b, conflict, .notADecision),
        ]
        for (peer, candidate, problem) in cases {
            let directives = requester.onTransferReceipt(from: peer, candidate, now: F.start)
            guard case .reportMismatch(let mismatch) = directives.first else {
                Issue.record("expected a mismatch for \(candidate)")
                continue
            }
            #expect(mismatch.problem == problem)
            #expect(requester.outgoingState(F.id("t1"))?.isPending == true)
        }
    }

    @Test("a client retry with the same id re-sends; with other fields it is a conflict")
    func clientRetry() throws {
        var requester = F.requester()
        _ = try requester.requestBudget(F.id("t1"), from: F.b, agent: F.agent, amount: 200, now: F.start)
        let again = try requester.requestBudget(F.id("t1"), from: F.b, agent: F.agent, amount: 200, now: F.start)
        #expect(F.records(again).isEmpty && F.messages(again).count == 1)
        #expect(throws: SettlementError.conflict(F.id("t1"))) {
            try requester.requestBudget(F.id("t1"), from: F.b, agent: F.agent, amount: 201, now: F.start)
        }
    }

    @Test("a node rebuilt from its records re-sends its pending requests and keeps settled ones")
    func restartResumes() throws {
        var (requester, receipt) = try sentAndAnswered()
        var records = F.records(try requester.requestBudget(F.id("t2"), from: F.b, agent: F.agent, amount: 5, now: F.start))
        records.insert(contentsOf: F.records(requester.onTransferReceipt(from: F.b, receipt, now: F.start)), at: 0)
        let created = SettlementRecord.outgoingCreated(try #require(requester.outgoing[F.id("t1")]?.transfer))
        records.insert(created, at: 0)
        var restored = try SettlementMachine(configuration: F.configuration(F.a), restoring: records)
        #expect(restored.outgoingState(F.id("t1")) == .accepted(receipt))
        #expect(restored.creditTaken == requester.creditTaken)
        let resumed = restored.restart(now: F.start.advanced(by: .seconds(30)))
        let resent = F.messages(resumed).compactMap { message -> TransferID? in
            if case .transferRequest(let request) = message { return request.transactionID }
            return nil
        }
        #expect(resent == [F.id("t2")])
    }

    @Test("returns: the amount goes back, the credit line's used amount falls, and over-returns are refused")
    func returns() throws {
        var (requester, receipt) = try sentAndAnswered()
        var giver = F.giver()
        _ = giver.onTransferRequest(from: F.a, F.request("t1", 200), peerTrust: F.trust, now: F.start)
        _ = requester.onTransferReceipt(from: F.b, receipt, now: F.start)
        #expect(throws: SettlementError.exceedsDrawn(requested: 201, available: 200)) {
            try requester.returnBudget(F.id("r1"), to: F.b, agent: F.agent, amount: 201, now: F.start)
        }
        let sent = try requester.returnBudget(F.id("r1"), to: F.b, agent: F.agent, amount: 150, now: F.start)
        #expect(requester.creditTaken[F.b]?.returnable == 50)
        guard case .returnRequest(let request) = F.messages(sent).first else {
            Issue.record("expected a return request, got \(sent)")
            return
        }
        let answered = giver.onReturnRequest(from: F.a, request, now: F.start)
        #expect(giver.creditLines[F.a]?.used == 50)
        let returnReceipt = try #require(F.returnReceipt(answered))
        #expect(returnReceipt.status == .accepted)
        _ = requester.onReturnReceipt(from: F.b, ReturnReceipt(returnReceipt), now: F.start)
        #expect(requester.creditTaken[F.b] == CreditTaken(drawn: 50, returning: 0))
        // The giver refuses a return of more than is used, and a repeat gets the same receipt.
        var tooMuch = request
        tooMuch.transactionID = F.id("r2")
        tooMuch.amount = 51
        #expect(F.returnReceipt(giver.onReturnRequest(from: F.a, tooMuch, now: F.start))?.reason == .exceedsDrawn)
        #expect(F.returnReceipt(giver.onReturnRequest(from: F.a, request, now: F.start)) == returnReceipt)
        #expect(giver.creditLines[F.a]?.used == 50)
    }
}
