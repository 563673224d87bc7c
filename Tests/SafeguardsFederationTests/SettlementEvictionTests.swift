import SafeguardsCore
import SafeguardsFederation
import Testing

/// Decided records leave the machine once durable; the history answers for them exactly as the
/// machine did, and a machine restored from totals and pending transfers equals the running one.
@Suite struct SettlementEvictionTests {
    typealias F = SettlementFixtures

    /// A requester and a giver that write every record to their own history and forget the
    /// decided ones at once, as a node does after each commit.
    struct Pair {
        let requesterHistory = RecordedSettlementHistory()
        let giverHistory = RecordedSettlementHistory()
        var requester: SettlementMachine
        var giver: SettlementMachine

        init() {
            requester = SettlementMachine(configuration: F.configuration(F.a), history: requesterHistory)
            var configuration = F.configuration(F.b, offers: [F.a: 1000])
            configuration.refusalsKeptPerPeer = 1000
            giver = SettlementMachine(configuration: configuration, history: giverHistory)
        }

        /// Carries out the persists of `directives` on `machine` (write, then forget).
        static func persist(_ directives: [SettlementDirective], _ machine: inout SettlementMachine, _ history: RecordedSettlementHistory) {
            for record in F.records(directives) {
                history.write(record)
                machine.forgetDurable(record)
            }
        }

        /// One transfer start to finish: request, decision, receipt learned.
        mutating func settle(_ id: String, _ amount: Amount, at now: Timestamp) throws {
            let started = try requester.requestBudget(F.id(id), from: F.b, agent: F.agent, amount: amount, now: now)
            Self.persist(started, &requester, requesterHistory)
            guard case .transferRequest(let request) = F.messages(started).first else { return }
            let decided = giver.onTransferRequest(from: F.a, request, peerTrust: F.trust, now: now)
            Self.persist(decided, &giver, giverHistory)
            guard let receipt = F.transferReceipt(decided) else { return }
            Self.persist(requester.onTransferReceipt(from: F.b, receipt, now: now), &requester, requesterHistory)
        }
    }

    @Test func settledTransfersLeaveMemoryAndOnlyPendingOnesStay() throws {
        var pair = Pair()
        for index in 0..<50 { try pair.settle("t\(index)", 2, at: F.start.advanced(by: .seconds(index))) }
        // Two more that are started but never answered.
        for id in ["p1", "p2"] {
            let started = try pair.requester.requestBudget(F.id(id), from: F.b, agent: F.agent, amount: 1, now: F.start)
            Pair.persist(started, &pair.requester, pair.requesterHistory)
        }
        #expect(pair.requester.heldRecordCount == 2)
        #expect(pair.requester.pendingCount == 2)
        #expect(pair.giver.heldRecordCount == 0)
        // The totals stayed: 50 × 2 drawn on one side, used on the other.
        #expect(pair.requester.creditTaken[F.b]?.drawn == 100)
        #expect(pair.giver.creditLines[F.a]?.used == 100)
        #expect(pair.requester.settlementDigest(with: F.b) == pair.giver.settlementDigest(with: F.a))
        #expect(pair.requester.settlementDigest(with: F.b).count == 50)
    }

    @Test func retryOfAForgottenDecisionGetsTheSameReceiptAndMovesNothing() throws {
        var pair = Pair()
        try pair.settle("t1", 300, at: F.start)
        #expect(pair.giver.heldRecordCount == 0)
        let first = try #require(try pair.giverHistory.decision(from: F.a, F.id("t1")))
        let later = F.start.advanced(by: .seconds(30))
        let again = pair.giver.onTransferRequest(from: F.a, F.request("t1", 300), peerTrust: F.trust, now: later)
        #expect(F.records(again).isEmpty)
        #expect(F.transferReceipt(again) == first.receipt)
        #expect(pair.giver.creditLines[F.a]?.used == 300)
        // A status query is answered from the history too.
        let answer = pair.giver.onStatusQuery(from: F.a, StatusQuery(transactionID: F.id("t1"), kind: .transfer), now: later)
        guard case .statusAnswer(let status) = F.messages(answer).first else {
            Issue.record("no status answer")
            return
        }
        #expect(status.receipt == first.receipt)
        // Another request under the same id is still a conflict.
        let other = pair.giver.onTransferRequest(from: F.a, F.request("t1", 301), peerTrust: F.trust, now: later)
        #expect(F.records(other).isEmpty)
        #expect(F.transferReceipt(other)?.reason == .conflict)
    }

    @Test func requesterRetryAndLateReceiptOfAForgottenTransferChangeNothing() throws {
        var pair = Pair()
        try pair.settle("t1", 40, at: F.start)
        #expect(pair.requester.heldRecordCount == 0)
        let retry = try pair.requester.requestBudget(F.id("t1"), from: F.b, agent: F.agent, amount: 40, now: F.start)
        #expect(retry.isEmpty)
        #expect(throws: SettlementError.conflict(F.id("t1"))) {
            try pair.requester.requestBudget(F.id("t1"), from: F.b, agent: F.agent, amount: 41, now: F.start)
        }
        let stored = try #require(pair.requester.outgoingState(F.id("t1")).flatMap(\.receipt))
        #expect(pair.requester.onTransferReceipt(from: F.b, stored, now: F.start).isEmpty)
        #expect(pair.requester.creditTaken[F.b]?.drawn == 40)
        #expect(pair.requester.queryStatus(F.id("t1")).count == 1)
    }

    @Test func unknownIdIsDecidedFreshAndUnderTheHorizonRefused() throws {
        var pair = Pair()
        try pair.settle("t1", 10, at: F.start)
        let fresh = pair.giver.onTransferRequest(from: F.a, F.request("t2", 10), peerTrust: F.trust, now: F.start)
        #expect(F.records(fresh).count == 1)
        #expect(F.transferReceipt(fresh)?.status == .accepted)

        var giver = F.giver(refusalsKept: 1)
        _ = giver.onTransferRequest(from: F.a, F.request("r1", 900, createdAt: F.start), peerTrust: F.trust, now: F.start)
        let later = F.start.advanced(by: .seconds(1))
        _ = giver.onTransferRequest(from: F.a, F.request("r2", 900, createdAt: later), peerTrust: F.trust, now: later)
        let expired = giver.onTransferRequest(from: F.a, F.request("new", 5, createdAt: F.start), peerTrust: F.trust, now: later)
        #expect(F.records(expired).isEmpty)
        #expect(F.transferReceipt(expired)?.reason == .expired)
    }

    @Test func unreadableHistoryAnswersNothingRatherThanDecideAgain() throws {
        final class Broken: SettlementHistory {
            func decision(from peer: SystemID, _ transactionID: TransferID) throws(SettlementHistoryUnavailable)
                -> IncomingDecision?
            { throw SettlementHistoryUnavailable("disk gone") }
            func settled(_ transactionID: TransferID) throws(SettlementHistoryUnavailable) -> OutgoingEntry? {
                throw SettlementHistoryUnavailable("disk gone")
            }
        }
        var giver = SettlementMachine(configuration: F.configuration(F.b, offers: [F.a: 1000]), history: Broken())
        #expect(giver.onTransferRequest(from: F.a, F.request("t1", 10), peerTrust: F.trust, now: F.start).isEmpty)
        #expect(giver.creditLines[F.a]?.used == 0)
        var requester = SettlementMachine(configuration: F.configuration(F.a), history: Broken())
        #expect(throws: SettlementError.historyUnavailable(F.id("t1"))) {
            try requester.requestBudget(F.id("t1"), from: F.b, agent: F.agent, amount: 1, now: F.start)
        }
    }

    @Test func machineRestoredFromTotalsAndPendingEqualsTheRunningOne() throws {
        var pair = Pair()
        var totals: [SystemID: SettlementTotals] = [:]
        var pending: [TransferID: OutgoingTransfer] = [:]
        func keep(_ directives: [SettlementDirective]) {
            for record in F.records(directives) {
                let change = SettlementTotals.Change(record)
                if !change.isEmpty { totals[change.peer, default: SettlementTotals()].add(change) }
                switch record {
                case .outgoingCreated(let transfer): pending[transfer.transactionID] = transfer
                case .outgoingSettled(let transfer, _): pending[transfer.transactionID] = nil
                default: break
                }
            }
        }
        for index in 0..<20 {
            let now = F.start.advanced(by: .seconds(index))
            let started = try pair.requester.requestBudget(F.id("t\(index)"), from: F.b, agent: F.agent, amount: 3, now: now)
            keep(started)
            Pair.persist(started, &pair.requester, pair.requesterHistory)
            guard index % 4 != 0, case .transferRequest(let request) = F.messages(started).first else { continue }
            let receipt = try #require(F.transferReceipt(pair.giver.onTransferRequest(from: F.a, request, peerTrust: F.trust, now: now)))
            let learned = pair.requester.onTransferReceipt(from: F.b, receipt, now: now)
            keep(learned)
            Pair.persist(learned, &pair.requester, pair.requesterHistory)
        }
        let restored = try SettlementMachine(
            configuration: pair.requester.configuration, totals: totals,
            pending: pending.values.sorted { $0.transactionID < $1.transactionID }, refusals: [], refusalHorizons: [:],
            history: pair.requesterHistory)
        #expect(restored.pendingTransactionIDs == pair.requester.pendingTransactionIDs)
        #expect(restored.pendingCount == 5)
        #expect(restored.creditTaken == pair.requester.creditTaken)
        #expect(restored.totals == pair.requester.totals)
        #expect(restored.settlementDigest(with: F.b) == pair.requester.settlementDigest(with: F.b))
        #expect(restored.outgoingState(F.id("t1")) == pair.requester.outgoingState(F.id("t1")))
    }
}
