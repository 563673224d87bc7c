import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation
import SafeguardsStore

/// This side's records of transfers, decisions and refusals, as the API shows them: read from the
/// store (the transaction index and the record it points at), so a record still being written is
/// shown as before it, and nothing the machine has forgotten is missing.
extension SettlementService {
    /// This side's record of a transaction id (outgoing first, then incoming from any peer: a
    /// decision, or a refusal still remembered); `nil` when unknown or unreadable.
    public func transaction(_ id: TransferID) -> FederationTransactionBody? {
        guard let found = try? store.federationTransactions(id: id) else { return nil }
        return found.lazy.compactMap { self.body($0) }.first
    }

    /// One page of the transactions (optionally with one peer), newest first: keyset on the order
    /// each transaction was first written, through the `(peer, seq)` index with a peer, so a walk
    /// returns each transaction once however many are settled meanwhile.
    ///
    /// - Throws: `invalid_request` for a cursor this list did not give out, `unavailable` when the
    ///   store cannot be read.
    func transactions(peer: SystemID?, page: PageRequest) throws(SafeguardsError) -> FederationTransactionList {
        let before = try page.afterSequence()
        let rows: [LedgerStore.IndexedTransaction]
        do { rows = try store.federationTransactionPage(peer: peer, before: before, limit: page.limit + 1) } catch {
            throw SafeguardsError(.unavailable, "cannot read the federation transactions")
        }
        let (items, next) = page.page(rows: rows.map { (sequence: $0.sequence, item: $0) })
        return FederationTransactionList(transactions: items.compactMap { body($0) }, next: next)
    }

    /// Every transaction (optionally with one peer), newest first: for callers in this process
    /// (benchmarks, tests), not the API, which pages.
    public func transactions(peer: SystemID?) -> [FederationTransactionBody] {
        var all: [FederationTransactionBody] = []
        var page = PageRequest(list: "transactions", limit: PageRequest.maximumLimit)
        while let list = try? transactions(peer: peer, page: page) {
            all += list.transactions
            guard let next = list.next, let cursor = try? PageRequest.decode(next, list: "transactions") else { break }
            page.after = cursor
        }
        return all
    }

    /// The body of an indexed transaction: its latest record, or its refusal.
    private func body(_ indexed: LedgerStore.IndexedTransaction) -> FederationTransactionBody? {
        if let refusal = indexed.refusal { return body(refusal) }
        guard let stored = indexed.record, let entry = FederationRecordCoding.settlement(stored) else { return nil }
        switch entry.record {
        case .outgoingCreated(let transfer):
            return body(OutgoingEntry(transfer: transfer, state: .pending(attempts: 0, nextRetryAt: transfer.createdAt)))
        case .outgoingSettled(let transfer, let receipt):
            let state: OutgoingState = receipt.isAccepted ? .accepted(receipt) : .rejected(receipt)
            return body(OutgoingEntry(transfer: transfer, state: state), evidence: entry.evidence)
        case .incomingDecided(let decision):
            return body(decision)
        case .incomingRefused(let refusal, _):
            return body(refusal)
        }
    }

    private func body(_ entry: OutgoingEntry, evidence: String? = nil) -> FederationTransactionBody {
        let receipt = entry.state.receipt
        return FederationTransactionBody(
            transactionID: entry.transfer.transactionID.rawValue, direction: "outgoing",
            kind: entry.transfer.kind.rawValue, peer: entry.transfer.peer.rawValue,
            agentID: entry.transfer.agentID.rawValue, amount: entry.transfer.amount,
            status: Self.status(receipt, kind: entry.transfer.kind), reason: receipt?.reason?.rawValue,
            createdAt: entry.transfer.createdAt.description, settledAt: receipt?.decidedAt.description,
            receipt: receipt.map { Self.receiptBody($0, envelope: evidence) })
    }

    private func body(_ decision: IncomingDecision) -> FederationTransactionBody {
        let receipt = decision.receipt
        return FederationTransactionBody(
            transactionID: receipt.transactionID.rawValue, direction: "incoming", kind: decision.kind.rawValue,
            peer: decision.peer.rawValue, agentID: decision.agentID.rawValue, amount: receipt.amount,
            status: Self.status(receipt, kind: decision.kind), reason: receipt.reason?.rawValue,
            createdAt: receipt.decidedAt.description, settledAt: receipt.decidedAt.description,
            receipt: Self.receiptBody(receipt, envelope: nil))
    }

    private func body(_ refusal: IncomingRefusal) -> FederationTransactionBody {
        let receipt = refusal.receipt(giver: me)
        return FederationTransactionBody(
            transactionID: refusal.transactionID.rawValue, direction: "incoming", kind: refusal.kind.rawValue,
            peer: refusal.peer.rawValue, agentID: refusal.agentID.rawValue, amount: refusal.amount,
            status: "rejected", reason: refusal.reason.rawValue, createdAt: refusal.decidedAt.description,
            settledAt: refusal.decidedAt.description, receipt: Self.receiptBody(receipt, envelope: nil))
    }

    static func status(_ receipt: TransferReceipt?, kind: SettlementKind) -> String {
        guard let receipt else { return "pending" }
        guard receipt.isAccepted else { return "rejected" }
        return kind == .return ? "returned" : "accepted"
    }

    static func receiptBody(_ receipt: TransferReceipt, envelope: String?) -> ReceiptBody {
        ReceiptBody(
            transactionID: receipt.transactionID.rawValue, requester: receipt.requester.rawValue,
            giver: receipt.giver.rawValue, amount: receipt.amount, status: receipt.status.rawValue,
            reason: receipt.reason?.rawValue, decidedAt: receipt.decidedAt.description, signedEnvelope: envelope)
    }
}
