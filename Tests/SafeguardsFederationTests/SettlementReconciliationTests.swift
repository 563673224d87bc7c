import SafeguardsCore
import SafeguardsFederation
import Testing

@Suite("Settlement digests and reconciliation")
struct SettlementReconciliationTests {
    typealias F = SettlementFixtures

    @Test func aLostReceiptIsRepairedByReconciliationWithoutARetry() throws {
        var a = F.requester()
        var b = F.giver()
        let sent = try a.requestBudget(F.id("tx-1"), from: F.b, agent: F.agent, amount: 100, now: F.start)
        guard case .transferRequest(let request) = F.messages(sent).first else {
            Issue.record("no request was sent")
            return
        }
        // b decides and answers; the receipt is lost on the way back.
        _ = b.onTransferRequest(from: F.a, request, peerTrust: F.trust, now: F.start)
        #expect(a.outgoingState(F.id("tx-1"))?.isPending == true)

        // Gossip carries each side's digest of what it settled with the other: they differ.
        #expect(a.settlementDigest(with: F.b) != b.settlementDigest(with: F.a))
        #expect(a.settlementDigest(with: F.b) == .empty)
        #expect(b.settlementDigest(with: F.a).count == 1)

        // Reconciliation asks b about every transfer still pending with it...
        let queries = a.reconciliationQueries(with: F.b)
        #expect(queries.count == 1)
        guard case .statusQuery(let query) = F.messages(queries).first else {
            Issue.record("reconciliation sent no status query")
            return
        }
        // ...b answers from its stored decision, and a settles.
        let answer = b.onStatusQuery(from: F.a, query, now: F.start)
        guard case .statusAnswer(let status) = F.messages(answer).first else {
            Issue.record("b did not answer the query")
            return
        }
        let settled = a.onStatusAnswer(from: F.b, status, now: F.start)
        #expect(F.records(settled).count == 1)
        #expect(a.outgoingState(F.id("tx-1"))?.receipt?.isAccepted == true)
        #expect(a.settlementDigest(with: F.b) == b.settlementDigest(with: F.a))
        #expect(a.reconciliationQueries(with: F.b).isEmpty)
    }

    @Test func digestsAgreeOverEveryDirectionAndKind() throws {
        var a = SettlementMachine(configuration: F.configuration(F.a, offers: [F.b: 1000]))
        var b = SettlementMachine(configuration: F.configuration(F.b, offers: [F.a: 1000]))
        func settle(_ requester: inout SettlementMachine, _ giver: inout SettlementMachine, _ directives: [SettlementDirective]) {
            for message in F.messages(directives) {
                let answer: [SettlementDirective]
                switch message {
                case .transferRequest(let body): answer = giver.onTransferRequest(from: requester.me, body, peerTrust: F.trust, now: F.start)
                case .returnRequest(let body): answer = giver.onReturnRequest(from: requester.me, body, now: F.start)
                default: continue
                }
                for reply in F.messages(answer) {
                    switch reply {
                    case .transferReceipt(let receipt): _ = requester.onTransferReceipt(from: giver.me, receipt, now: F.start)
                    case .returnReceipt(let receipt): _ = requester.onReturnReceipt(from: giver.me, receipt, now: F.start)
                    default: break
                    }
                }
            }
        }
        settle(&a, &b, try a.requestBudget(F.id("ab-1"), from: F.b, agent: F.agent, amount: 100, now: F.start))
        settle(&b, &a, try b.requestBudget(F.id("ba-1"), from: F.a, agent: F.agent, amount: 50, now: F.start))
        settle(&a, &b, try a.requestBudget(F.id("ab-2"), from: F.b, agent: F.agent, amount: 900, now: F.start))  // rejected
        settle(&a, &b, try a.returnBudget(F.id("ab-3"), to: F.b, agent: F.agent, amount: 40, now: F.start))
        #expect(a.settlementDigest(with: F.b) == b.settlementDigest(with: F.a))
        // Three accepted; the rejected one moved nothing and is left out (givers keep refusals bounded).
        #expect(a.settlementDigest(with: F.b).count == 3)
        // A third node's transactions do not enter the digest between a and b.
        #expect(a.settlementDigest(with: F.c) == .empty)
    }
}
