import SafeguardsAPI
import SafeguardsCore
import SafeguardsFederation

/// This side's records of transfers, decisions and refusals, as the API shows them: as the disk
/// holds them, so a record still being written is shown as before it (``SettlementWrites/Shadow``).
extension SettlementService {
    /// This side's record of a transaction id (outgoing first, then incoming from any peer: a
    /// decision, or a refusal still remembered).
    public func transaction(_ id: TransferID) -> FederationTransactionBody? {
        if let entry = machine.outgoing[id].flatMap(durable) { return body(entry) }
        if let decision = machine.incomingDecision(id), isDurable(decision.peer, id) { return body(decision) }
        return machine.incomingRefusal(id).flatMap { isDurable($0.peer, id) ? body($0) : nil }
    }

    /// `entry` as the disk holds it: absent while its creation is being written, pending while
    /// its outcome is.
    private func durable(_ entry: OutgoingEntry) -> OutgoingEntry? {
        switch writes.shadow(.outgoing(entry.transfer.transactionID)) {
        case nil: return entry
        case .absent: return nil
        case .pending:
            return OutgoingEntry(transfer: entry.transfer, state: .pending(attempts: 0, nextRetryAt: entry.transfer.createdAt))
        }
    }

    private func isDurable(_ peer: SystemID, _ id: TransferID) -> Bool {
        writes.shadow(.incoming(peer, id)) == nil
    }

    /// One page of the transactions (optionally with one peer), oldest first: ordered by the
    /// time this side created or decided each, then direction, peer and id, a key no later record
    /// sorts before (new records are stamped now).
    func transactions(peer: SystemID?, page: PageRequest) -> FederationTransactionList {
        var rows: [(key: String, record: Record)] = []
        for stored in machine.outgoing.values where peer == nil || stored.transfer.peer == peer {
            guard let entry = durable(stored) else { continue }
            rows.append((Self.key(entry.transfer.createdAt, "outgoing", entry.transfer.peer, entry.transfer.transactionID), .outgoing(entry)))
        }
        for decision in machine.incomingDecisions where peer == nil || decision.peer == peer {
            guard isDurable(decision.peer, decision.receipt.transactionID) else { continue }
            rows.append((Self.key(decision.receipt.decidedAt, "incoming", decision.peer, decision.receipt.transactionID), .decided(decision)))
        }
        for refusal in machine.incomingRefusals where peer == nil || refusal.peer == peer {
            guard isDurable(refusal.peer, refusal.transactionID) else { continue }
            rows.append((Self.key(refusal.decidedAt, "incoming", refusal.peer, refusal.transactionID), .refused(refusal)))
        }
        if let after = page.after { rows.removeAll { $0.key <= after } }
        rows.sort { $0.key < $1.key }
        let (items, next) = page.page(ascending: rows, key: \.key)
        return FederationTransactionList(
            transactions: items.map { row in
                switch row.record {
                case .outgoing(let entry): return body(entry)
                case .decided(let decision): return body(decision)
                case .refused(let refusal): return body(refusal)
                }
            }, next: next)
    }

    /// Every transaction (optionally with one peer), oldest first: for callers in this process
    /// (benchmarks, tests), not the API, which pages.
    public func transactions(peer: SystemID?) -> [FederationTransactionBody] {
        transactions(peer: peer, page: PageRequest(list: "transactions", limit: .max)).transactions
    }

    private enum Record {
        case outgoing(OutgoingEntry)
        case decided(IncomingDecision)
        case refused(IncomingRefusal)
    }

    /// The sort key: the time as 20 digits, then direction, peer and id, separated by a byte
    /// below every identifier character so the text order is the tuple order.
    private static func key(_ time: Timestamp, _ direction: String, _ peer: SystemID, _ id: TransferID) -> String {
        let digits = String(max(0, time.millisecondsSince1970))
        return String(repeating: "0", count: 20 - digits.count) + digits + "\u{1}\(direction)\u{1}\(peer)\u{1}\(id)"
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
