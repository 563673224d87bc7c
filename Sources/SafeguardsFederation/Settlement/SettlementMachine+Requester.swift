import SafeguardsCore

extension SettlementMachine {
    /// What an incoming receipt does to the outgoing transfer it names (one case per outcome, so
    /// every transition of ``OutgoingState`` on a receipt is visible in ``receiptAction(_:from:kind:)``).
    enum ReceiptAction: Equatable {
        /// First decision for a pending transfer: store it (and move the budget).
        case settle(OutgoingTransfer)
        /// The same receipt again (a duplicate or a retry's answer): nothing to do.
        case ignoreDuplicate
        /// The receipt cannot be applied; report it, change nothing.
        case mismatch(EvidenceMismatch.Problem, stored: TransferReceipt?)
        /// The transfer may be settled, but the history could not be read: do nothing now (a
        /// pending transfer is held in memory, so this is only ever a late copy).
        case unreadable
    }

    // MARK: - Starting transfers

    /// The requester asks `giver` for `amount` for `agent`, under `transactionID` (fresh, chosen
    /// by the caller). Directives: `.persist(.outgoingCreated)` BEFORE `.send` of the request,
    /// then `.scheduleTick` for the first retry.
    ///
    /// Calling again with the same id and fields is a client retry: a pending transfer is sent
    /// again at once (nothing persisted), a decided one returns no directives.
    ///
    /// - Throws: ``SettlementError/conflict(_:)`` for the same id with other fields,
    ///   ``SettlementError/invalidAmount(_:)``, ``SettlementError/selfAsPeer(_:)``.
    public mutating func requestBudget(
        _ transactionID: TransferID, from giver: SystemID, agent: AgentID, amount: Amount,
        metadata: [String: String] = [:], now: Timestamp
    ) throws(SettlementError) -> [SettlementDirective] {
        let transfer = OutgoingTransfer(
            kind: .transfer, transactionID: transactionID, peer: giver, agentID: agent, amount: amount,
            metadata: metadata, createdAt: now)
        return try start(transfer, now: now)
    }

    /// The requester gives `amount` of `agent`'s remote budget back to `giver`, under a fresh
    /// `transactionID`. The persisted record tells the shell to hold the amount away from the
    /// agent until the giver decides. Same directive order and retry rules as ``requestBudget(_:from:agent:amount:metadata:now:)``.
    ///
    /// - Throws: as ``requestBudget(_:from:agent:amount:metadata:now:)``, and
    ///   ``SettlementError/exceedsDrawn(requested:available:)`` when more than what was drawn from
    ///   `giver` (and is not already being returned) would go back. Whether the agent holds the
    ///   amount is the shell's ledger check, made before calling this.
    public mutating func returnBudget(
        _ transactionID: TransferID, to giver: SystemID, agent: AgentID, amount: Amount, now: Timestamp
    ) throws(SettlementError) -> [SettlementDirective] {
        let transfer = OutgoingTransfer(
            kind: .return, transactionID: transactionID, peer: giver, agentID: agent, amount: amount, createdAt: now)
        return try start(transfer, now: now)
    }

    /// Asks `giver` what it decided for a transfer this node started (reconciliation). The answer
    /// goes to ``onStatusAnswer(from:_:now:)``. Returns nothing for an unknown id.
    public func queryStatus(_ transactionID: TransferID) -> [SettlementDirective] {
        guard let entry = try? outgoingEntry(transactionID) else { return [] }
        let query = StatusQuery(transactionID: transactionID, kind: entry.transfer.kind)
        return [.send(to: entry.transfer.peer, .statusQuery(query))]
    }

    private mutating func start(_ transfer: OutgoingTransfer, now: Timestamp) throws(SettlementError)
        -> [SettlementDirective]
    {
        guard transfer.peer != me else { throw .selfAsPeer(transfer.peer) }
        guard transfer.amount.isPositive else { throw .invalidAmount(transfer.amount) }
        let known: OutgoingEntry?
        do { known = try outgoingEntry(transfer.transactionID) } catch { throw .historyUnavailable(transfer.transactionID) }
        if let existing = known {
            guard existing.transfer.sameRequest(as: transfer) else { throw .conflict(transfer.transactionID) }
            guard existing.state.isPending else { return [] }
            // The stored request, with its first `created_at`: a client retry is the same request.
            return [.send(to: transfer.peer, existing.transfer.message(from: me))]
        }
        if transfer.kind == .return {
            let returnable = creditTaken[transfer.peer]?.returnable ?? .zero
            guard transfer.amount <= returnable else {
                throw .exceedsDrawn(requested: transfer.amount, available: returnable)
            }
        }
        // Ids are born durable: the record goes first, the first byte leaves after it.
        guard let persist = record(.outgoingCreated(transfer)) else { throw .amountOverflow }
        let delay = configuration.retry.delay(afterAttempt: 1)
        outgoing[transfer.transactionID]?.state = .pending(attempts: 1, nextRetryAt: now.advanced(by: delay))
        return [persist, .send(to: transfer.peer, transfer.message(from: me)), .scheduleTick(after: delay)]
    }

    // MARK: - Learning the giver's decision

    /// A `transfer_receipt` arrived from `peer` (the authenticated sender).
    ///
    /// Applied only to a pending transfer to that peer with the same requester, giver and amount:
    /// the decision is stored with `.persist(.outgoingSettled)` (for an accepted one the shell
    /// credits the agent under the same id). A duplicate of the stored receipt does nothing; a
    /// receipt that contradicts it, or names fields we did not send, is reported with
    /// `.reportMismatch` and never applied.
    public mutating func onTransferReceipt(from peer: SystemID, _ receipt: TransferReceipt, now: Timestamp)
        -> [SettlementDirective]
    {
        learn(receipt, from: peer, kind: .transfer)
    }

    /// A `return_receipt` arrived from `peer`; the same rules as ``onTransferReceipt(from:_:now:)``.
    public mutating func onReturnReceipt(from peer: SystemID, _ receipt: ReturnReceipt, now: Timestamp)
        -> [SettlementDirective]
    {
        learn(receipt.receipt, from: peer, kind: .return)
    }

    /// A `status_answer` arrived from `peer`. A stored receipt is learned like a receipt; "unknown"
    /// changes nothing: the request may still be on its way (or its refusal forgotten), so it stays
    /// pending and the same request is sent again on schedule, never a new one.
    public mutating func onStatusAnswer(from peer: SystemID, _ answer: StatusAnswer, now: Timestamp)
        -> [SettlementDirective]
    {
        guard let receipt = answer.receipt, receipt.transactionID == answer.transactionID else { return [] }
        return learn(receipt, from: peer, kind: answer.kind)
    }

    /// Decides what a receipt does, without changing anything.
    func receiptAction(_ receipt: TransferReceipt, from peer: SystemID, kind: SettlementKind) -> ReceiptAction {
        let known: OutgoingEntry?
        do { known = try outgoingEntry(receipt.transactionID) } catch { return .unreadable }
        guard let entry = known, entry.transfer.kind == kind, entry.transfer.peer == peer
        else { return .mismatch(.unknownTransaction, stored: nil) }
        let stored = entry.state.receipt
        guard receipt.requester == me, receipt.giver == peer, receipt.amount == entry.transfer.amount else {
            return .mismatch(.fieldsDiffer, stored: stored)
        }
        guard receipt.status == .accepted ? receipt.reason == nil : (receipt.reason?.isFinalForTransaction ?? true)
        else { return .mismatch(.notADecision, stored: stored) }
        switch entry.state {
        case .pending: return .settle(entry.transfer)
        case .rejected where receipt.status == .rejected:
            // The same outcome: a giver that forgot an old refusal answers a late copy `expired`.
            return .ignoreDuplicate
        case .accepted(let stored), .rejected(let stored):
            return stored == receipt ? .ignoreDuplicate : .mismatch(.contradictsStored, stored: stored)
        }
    }

    private mutating func learn(_ receipt: TransferReceipt, from peer: SystemID, kind: SettlementKind)
        -> [SettlementDirective]
    {
        switch receiptAction(receipt, from: peer, kind: kind) {
        case .settle(let transfer):
            guard let persist = record(.outgoingSettled(transfer, receipt)) else { return [] }
            return [persist]
        case .ignoreDuplicate, .unreadable:
            return []
        case .mismatch(let problem, let stored):
            let mismatch = EvidenceMismatch(
                transactionID: receipt.transactionID, peer: peer, problem: problem, stored: stored, received: receipt)
            return [.reportMismatch(mismatch)]
        }
    }
}
