import SafeguardsCore

extension SettlementMachine {
    /// What an incoming request does, decided before anything changes (one case per outcome).
    enum RequestAction: Equatable {
        /// A new id: decide it, store the decision, answer it.
        case decide
        /// The id is decided for exactly this request: answer the stored receipt again.
        case replayStored(TransferReceipt)
        /// Not a request this node can decide (reused id with other fields, or misaddressed):
        /// answer a rejection with this reason and store nothing.
        case refuseUnstored(SettlementRejectReason)
        /// The id may be decided, but the history could not be read: answer nothing (the
        /// requester sends it again), decide nothing.
        case unanswerable
    }

    /// A `transfer_request` arrived from `peer` (the authenticated sender), whose current trust is
    /// `peerTrust`. The giver side.
    ///
    /// Idempotent by transaction id: a repeat with the same fields gets the same receipt (no new
    /// decision, no rate-limit count); a repeat with other fields gets a `conflict` rejection that
    /// is not stored and changes nothing. An unknown id whose request was created at or before the
    /// peer's refusal horizon is refused as `expired`, unstored. A new id is checked in this order
    /// and the first failure is the reason: the metadata fits `max_metadata_bytes`
    /// (`metadata_too_large`), a credit line is offered to the peer (`unknown_peer`), the amount is
    /// positive (`invalid_amount`), trust ≥ the minimum (`trust_too_low`), amount ≤ the per-request
    /// cap (`over_request_cap`), the peer's rate window has room (`rate_limited`), and amount ≤
    /// offer × trust − used (`insufficient_credit`). Every decision is stored BEFORE the `.reply`
    /// of its receipt: an accepted one in full (`.incomingDecided`; the shell debits the credit
    /// line under the same id), a rejected one compactly (`.incomingRefused`, without metadata).
    public mutating func onTransferRequest(
        from peer: SystemID, _ request: RemoteTransferRequest, peerTrust: TrustLevel, now: Timestamp
    ) -> [SettlementDirective] {
        let decision = IncomingDecision(
            kind: .transfer, agentID: request.agentID, metadata: request.metadata,
            receipt: TransferReceipt(
                transactionID: request.transactionID, requester: request.requester, giver: request.giver,
                amount: request.amount, status: .accepted, decidedAt: now))
        switch requestAction(decision, requestedAt: request.createdAt, from: peer) {
        case .replayStored(let receipt):
            return [.reply(to: peer, .transferReceipt(receipt))]
        case .refuseUnstored(let reason):
            return [.reply(to: peer, .transferReceipt(rejected(decision.receipt, reason)))]
        case .unanswerable:
            return []
        case .decide:
            let reason: SettlementRejectReason?
            if MetadataSize.fits(request.metadata, limit: configuration.maxMetadataBytes) {
                reason = transferRejection(from: peer, amount: request.amount, trust: peerTrust, now: now)
            } else {
                reason = .metadataTooLarge
            }
            return decide(decision, rejection: reason, requestedAt: request.createdAt, from: peer) {
                .transferReceipt($0)
            }
        }
    }

    /// A `return_request` arrived from `peer`: budget it drew comes back to its credit line.
    ///
    /// Same idempotency, horizon and persist-before-reply rules as ``onTransferRequest(from:_:peerTrust:now:)``.
    /// Checks: a credit line exists (`unknown_peer`), the amount is positive (`invalid_amount`),
    /// and amount ≤ used (`exceeds_drawn`: a peer cannot return what it does not owe). Trust, cap
    /// and rate are not checked: a return only lowers this node's exposure.
    public mutating func onReturnRequest(from peer: SystemID, _ request: ReturnRequest, now: Timestamp)
        -> [SettlementDirective]
    {
        let decision = IncomingDecision(
            kind: .return, agentID: request.agentID, metadata: [:],
            receipt: TransferReceipt(
                transactionID: request.transactionID, requester: request.requester, giver: request.giver,
                amount: request.amount, status: .accepted, decidedAt: now))
        switch requestAction(decision, requestedAt: request.createdAt, from: peer) {
        case .replayStored(let receipt):
            return [.reply(to: peer, .returnReceipt(ReturnReceipt(receipt)))]
        case .refuseUnstored(let reason):
            return [.reply(to: peer, .returnReceipt(ReturnReceipt(rejected(decision.receipt, reason))))]
        case .unanswerable:
            return []
        case .decide:
            let reason: SettlementRejectReason?
            if let line = creditLines[peer] {
                if !request.amount.isPositive {
                    reason = .invalidAmount
                } else {
                    reason = request.amount <= line.used ? nil : .exceedsDrawn
                }
            } else {
                reason = .unknownPeer
            }
            return decide(decision, rejection: reason, requestedAt: request.createdAt, from: peer) {
                .returnReceipt(ReturnReceipt($0))
            }
        }
    }

    /// A `status_query` arrived from `peer`: answer the stored receipt (or remembered refusal) for
    /// that peer's id and kind, or "unknown". Read-only. A query carries no `created_at`, so an id
    /// under the horizon is "unknown" too; the requester then sends its request again, which the
    /// horizon refuses.
    public func onStatusQuery(from peer: SystemID, _ query: StatusQuery, now: Timestamp) -> [SettlementDirective] {
        var receipt: TransferReceipt?
        // Unreadable history: no answer rather than a wrong "unknown"; the requester asks again.
        let decided: IncomingDecision?
        do { decided = try storedDecision(from: peer, query.transactionID) } catch { return [] }
        if let stored = decided {
            receipt = stored.kind == query.kind ? stored.receipt : nil
        } else if let refusal = refusals[peer]?.byID[query.transactionID], refusal.kind == query.kind {
            receipt = refusal.receipt(giver: me)
        }
        let answer = StatusAnswer(transactionID: query.transactionID, kind: query.kind, receipt: receipt)
        return [.reply(to: peer, .statusAnswer(answer))]
    }

    /// Classifies a request (given as the decision it would become if accepted, and the time its
    /// requester created it) without changing anything.
    func requestAction(_ candidate: IncomingDecision, requestedAt: Timestamp, from peer: SystemID) -> RequestAction {
        // Authority from the channel: the body must name the authenticated sender and this node.
        guard candidate.receipt.requester == peer, candidate.receipt.giver == me else {
            return .refuseUnstored(.misaddressed)
        }
        let id = candidate.receipt.transactionID
        let decided: IncomingDecision?
        do { decided = try storedDecision(from: peer, id) } catch { return .unanswerable }
        if let stored = decided {
            let same =
                stored.kind == candidate.kind && stored.agentID == candidate.agentID
                && stored.metadata == candidate.metadata && stored.receipt.amount == candidate.receipt.amount
            return same ? .replayStored(stored.receipt) : .refuseUnstored(.conflict)
        }
        if let refusal = refusals[peer]?.byID[id] {
            // Compact: kind and amount are what the receipt shows; any other repeat is refused the same way.
            let same = refusal.kind == candidate.kind && refusal.amount == candidate.receipt.amount
            return same ? .replayStored(refusal.receipt(giver: me)) : .refuseUnstored(.conflict)
        }
        if refusals[peer]?.covers(requestedAt) ?? false { return .refuseUnstored(.expired) }
        return .decide
    }

    /// The first failed check for a new transfer request, or `nil` to accept. Counts the request
    /// against the peer's rate window when it gets that far.
    private mutating func transferRejection(
        from peer: SystemID, amount: Amount, trust: TrustLevel, now: Timestamp
    ) -> SettlementRejectReason? {
        guard let line = creditLines[peer], configuration.offers[peer] != nil else { return .unknownPeer }
        guard amount.isPositive else { return .invalidAmount }
        guard trust >= configuration.minimumTrust else { return .trustTooLow }
        guard amount <= configuration.perRequestCap else { return .overRequestCap }
        var window = rateWindows[peer] ?? PeerRateWindow(windowStart: now, count: 0)
        let admitted = window.admit(at: now, policy: configuration.rateLimit)
        rateWindows[peer] = window
        guard admitted else { return .rateLimited }
        // Checked arithmetic: an overflow can only mean "more than the line holds".
        guard let remaining = try? line.remaining(at: trust), amount <= remaining else { return .insufficientCredit }
        return nil
    }

    /// Stores the decision and answers it: persist, then reply. An accepted one is stored in full;
    /// a rejection (`rejection`) compactly, forgetting the peer's oldest refusals past the cap.
    private mutating func decide(
        _ candidate: IncomingDecision, rejection: SettlementRejectReason?, requestedAt: Timestamp,
        from peer: SystemID, wrap: (TransferReceipt) -> SettlementMessage
    ) -> [SettlementDirective] {
        if let rejection {
            let receipt = rejected(candidate.receipt, rejection)
            let refusal = IncomingRefusal(
                kind: candidate.kind, transactionID: receipt.transactionID, peer: peer, agentID: candidate.agentID,
                amount: receipt.amount, reason: rejection, requestedAt: requestedAt, decidedAt: receipt.decidedAt)
            let book = refusals[peer] ?? RefusalBook()
            let excess = book.byID.count + 1 - configuration.refusalsKeptPerPeer
            let oldest = book.oldest(excess)
            let forgotten = oldest.last.map { last in
                ForgottenRefusals(peer: peer, transactionIDs: oldest.map(\.transactionID), horizon: last.requestedAt)
            }
            guard let persist = record(.incomingRefused(refusal, forgotten: forgotten)) else {
                return [.reply(to: peer, wrap(receipt))]
            }
            return [persist, .reply(to: peer, wrap(receipt))]
        }
        guard let persist = record(.incomingDecided(candidate)) else {
            // Only an overflow of `used` gets here: more than the line can hold.
            return decide(candidate, rejection: .insufficientCredit, requestedAt: requestedAt, from: peer, wrap: wrap)
        }
        return [persist, .reply(to: peer, wrap(candidate.receipt))]
    }

    private func rejected(_ receipt: TransferReceipt, _ reason: SettlementRejectReason) -> TransferReceipt {
        var copy = receipt
        copy.status = .rejected
        copy.reason = reason
        return copy
    }
}
