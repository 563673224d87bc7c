import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation

/// This side's records of transfers and decisions, as the API shows them.
extension SettlementService {
    /// This side's record of a transaction id (outgoing first, then incoming from any peer).
    public func transaction(_ id: TransferID) -> FederationTransactionBody? {
        if let entry = machine.outgoing[id] { return body(entry) }
        return machine.incomingDecision(id).map(body)
    }

    /// Every transaction, optionally with one peer, oldest first.
    public func transactions(peer: SystemID?) -> [FederationTransactionBody] {
        let outgoing = machine.outgoing.values.filter { peer == nil || $0.transfer.peer == peer }.map(body)
        let incoming = machine.incomingDecisions.filter { peer == nil || $0.peer == peer }.map(body)
        return (outgoing + incoming).sorted { ($0.createdAt, $0.transactionID) < ($1.createdAt, $1.transactionID) }
    }

    private func body(_ entry: OutgoingEntry) -> FederationTransactionBody {
        let receipt = entry.state.receipt
        return FederationTransactionBody(
            transactionID: entry.transfer.transactionID.rawValue, direction: "outgoing",
            kind: entry.transfer.kind.rawValue, peer: entry.transfer.peer.rawValue,
            agentID: entry.transfer.agentID.rawValue, amount: entry.transfer.amount,
            status: Self.status(receipt, kind: entry.transfer.kind), reason: receipt?.reason?.rawValue,
            createdAt: entry.transfer.createdAt.description, settledAt: receipt?.decidedAt.description,
            receipt: receipt.map { Self.receiptBody($0, envelope: evidence[entry.transfer.transactionID]) })
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
