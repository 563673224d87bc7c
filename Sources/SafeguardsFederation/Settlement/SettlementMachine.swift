import SafeguardsCore

/// The settlement protocol of one node, as a pure value: the giver side (credit lines it gives,
/// its durable decisions) and the requester side (credit it takes, transfers it started).
///
/// Shaped like SWIM.Instance: every event is a `mutating` method that takes `now` and returns
/// ``SettlementDirective``s; there is no I/O, clock or randomness inside. A shell interprets the
/// directives with SQLite and signed envelopes; the simulator in SafeguardsTestKit interprets
/// them with an in-memory ledger and a lossy network.
///
/// Rules that hold everywhere:
/// - **Ids are born durable.** Every `.persist` comes before the `.send` or `.reply` it enables.
/// - **The giver decides.** The giver's stored decision for an id is final; the requester only
///   learns it, and never resolves a transfer by itself.
/// - **One state change per record.** Live events change state only through ``apply(_:)``, the
///   same function that rebuilds the machine from records, so a restarted node equals the one
///   that crashed (apart from retry timers and rate-limit windows, which are volatile).
/// - **A refusal is final, and bounded.** An accepted decision moved budget and is kept in full
///   forever. A refusal moved nothing and is kept compactly (``IncomingRefusal``: no metadata), at
///   most ``SettlementConfiguration/refusalsKeptPerPeer`` per peer; past that the peer's oldest
///   refusal (by the request's `created_at`) is forgotten and the peer's horizon rises to its
///   `created_at`. An id from that peer that this node does not know and whose request was
///   created at or before the horizon is refused as `expired`, unstored. Why no id can then end
///   differently on the two sides: every id this node forgot was created at or before the horizon,
///   so it can never be decided again, only refused; the horizon only grows (it is durable), so an
///   `expired` answer never turns into another; and an id it does not know created after the
///   horizon was never decided here, so deciding it now is its first decision. The requester
///   takes any rejection as final (it voids and never sends that id again; a second rejection
///   with another reason is the same outcome), and an "unknown" status answer leaves its transfer
///   pending, to be sent again with the same `created_at`: never a new request. Clocks do not
///   matter to this: `created_at` is the requester's own clock, compared only with values the
///   same requester sent; a clock that jumps back only gets its new requests refused. The rule
///   protects an id as the requester stored it, with its `created_at` (written with the id
///   before the first send, and carried by every retry): a peer that sends a forgotten id again
///   under a later `created_at` is asking anew, which an honest requester never does.
public struct SettlementMachine: Sendable {
    /// Key of a giver-side decision: ids are chosen by requesters, so they are unique per peer only.
    struct IncomingKey: Hashable, Sendable {
        var peer: SystemID
        var transactionID: TransferID
    }

    /// What this node enforces and how it retries.
    public let configuration: SettlementConfiguration
    /// Transfers and returns this node started, by id.
    public internal(set) var outgoing: [TransferID: OutgoingEntry] = [:]
    var incoming: [IncomingKey: IncomingDecision] = [:]
    /// Refusals remembered per peer, and each peer's horizon (see "a refusal is final, and bounded").
    var refusals: [SystemID: RefusalBook] = [:]
    /// Credit lines this node gives, by peer (one per configured offer).
    public private(set) var creditLines: [SystemID: CreditLine] = [:]
    /// Credit this node has taken, by giver.
    public private(set) var creditTaken: [SystemID: CreditTaken] = [:]
    var rateWindows: [SystemID: PeerRateWindow] = [:]
    /// Ids of ``outgoing`` still pending, kept beside it so a tick with nothing pending is cheap.
    var pendingIDs: Set<TransferID> = []

    /// This node.
    public var me: SystemID { configuration.me }

    /// A node with no history.
    public init(configuration: SettlementConfiguration) {
        self.configuration = configuration
        for (peer, offer) in configuration.offers { creditLines[peer] = CreditLine(offer: offer) }
        for (peer, granted) in configuration.grants { creditTaken[peer] = CreditTaken(granted: granted) }
    }

    /// The node rebuilt from every record it persisted, in the order it persisted them. Call
    /// ``restart(now:)`` next to resume the pending transfers.
    ///
    /// A store that keeps refusals in a bounded table passes the refusals it still holds as
    /// `.incomingRefused(refusal, forgotten: nil)` records and each peer's horizon in
    /// `refusalHorizons`; a log of every record needs no horizons (its `forgotten` parts carry them).
    ///
    /// - Throws: ``SettlementError/amountOverflow`` when the records add up past the
    ///   representable range (they cannot, if this machine wrote them).
    public init(
        configuration: SettlementConfiguration, restoring records: [SettlementRecord],
        refusalHorizons: [SystemID: Timestamp] = [:]
    ) throws(SettlementError) {
        self.init(configuration: configuration)
        for (peer, horizon) in refusalHorizons {
            refusals[peer, default: RefusalBook()].forget(ForgottenRefusals(peer: peer, transactionIDs: [], horizon: horizon))
        }
        for record in records {
            do { try apply(record) } catch { throw .amountOverflow }
        }
    }

    // MARK: - Queries

    /// The state of a transfer or return this node started.
    public func outgoingState(_ transactionID: TransferID) -> OutgoingState? {
        outgoing[transactionID]?.state
    }

    /// This node's decision (as a giver) for `transactionID` from `peer`.
    public func incomingDecision(from peer: SystemID, _ transactionID: TransferID) -> IncomingDecision? {
        incoming[IncomingKey(peer: peer, transactionID: transactionID)]
    }

    /// This node's decision (as a giver) for `transactionID`, from whichever peer (the first by
    /// peer id when two peers used the same id).
    public func incomingDecision(_ transactionID: TransferID) -> IncomingDecision? {
        incoming.filter { $0.key.transactionID == transactionID }.min { $0.key.peer < $1.key.peer }?.value
    }

    /// Every decision this node took as a giver, ordered by peer then id.
    public var incomingDecisions: [IncomingDecision] {
        incoming.sorted { ($0.key.peer, $0.key.transactionID) < ($1.key.peer, $1.key.transactionID) }.map(\.value)
    }

    /// The refusal of `transactionID` from `peer` this node still remembers.
    public func incomingRefusal(from peer: SystemID, _ transactionID: TransferID) -> IncomingRefusal? {
        refusals[peer]?.byID[transactionID]
    }

    /// This node's refusal (as a giver) of `transactionID`, from whichever peer (the first by peer id).
    public func incomingRefusal(_ transactionID: TransferID) -> IncomingRefusal? {
        refusals.keys.sorted().lazy.compactMap { self.refusals[$0]?.byID[transactionID] }.first
    }

    /// Every refusal this node remembers, ordered by peer then id.
    public var incomingRefusals: [IncomingRefusal] {
        refusals.keys.sorted().flatMap { peer in
            (refusals[peer]?.byID.values ?? [:].values).sorted { $0.transactionID < $1.transactionID }
        }
    }

    /// How many refusals this node remembers for `peer` (at most ``SettlementConfiguration/refusalsKeptPerPeer``
    /// once a refusal was added since the start).
    public func refusalCount(from peer: SystemID) -> Int { refusals[peer]?.byID.count ?? 0 }

    /// The horizon under which this node forgot `peer`'s oldest refusals, if it forgot any.
    public func refusalHorizon(of peer: SystemID) -> Timestamp? { refusals[peer]?.horizon }

    /// The outcome this giver holds, for good, for `peer`'s id `transactionID` whose request was
    /// created at `requestedAt`: accepted or rejected as stored, rejected when the id lies under
    /// the peer's horizon (forgotten, or never seen and now refused as `expired`), or `nil` when
    /// this node never decided it.
    public func incomingOutcome(from peer: SystemID, _ transactionID: TransferID, requestedAt: Timestamp)
        -> SettlementStatus?
    {
        if let decision = incoming[IncomingKey(peer: peer, transactionID: transactionID)] { return decision.receipt.status }
        if refusals[peer]?.byID[transactionID] != nil { return .rejected }
        return (refusals[peer]?.covers(requestedAt) ?? false) ? .rejected : nil
    }

    /// Ids still waiting for the giver's answer, in id order.
    public var pendingTransactionIDs: [TransferID] {
        pendingIDs.sorted()
    }

    /// Ids to `peer` still waiting for its answer, in id order.
    public func pendingTransactionIDs(with peer: SystemID) -> [TransferID] {
        pendingIDs.filter { outgoing[$0]?.transfer.peer == peer }.sorted()
    }

    /// How many transfers and returns this node started still wait for their giver.
    public var pendingCount: Int { pendingIDs.count }

    /// Whether any transfer or return this node started still waits for its giver.
    public var hasPending: Bool { !pendingIDs.isEmpty }

    // MARK: - Messages

    /// Any settlement message from `peer` (the authenticated sender, trusted `peerTrust`), handed
    /// to the event it is: what a shell or the simulator calls for every message that arrives.
    public mutating func receive(
        _ message: SettlementMessage, from peer: SystemID, peerTrust: TrustLevel, now: Timestamp
    ) -> [SettlementDirective] {
        switch message {
        case .transferRequest(let request): return onTransferRequest(from: peer, request, peerTrust: peerTrust, now: now)
        case .transferReceipt(let receipt): return onTransferReceipt(from: peer, receipt, now: now)
        case .returnRequest(let request): return onReturnRequest(from: peer, request, now: now)
        case .returnReceipt(let receipt): return onReturnReceipt(from: peer, receipt, now: now)
        case .statusQuery(let query): return onStatusQuery(from: peer, query, now: now)
        case .statusAnswer(let answer): return onStatusAnswer(from: peer, answer, now: now)
        }
    }

    // MARK: - Time and restarts

    /// Sends again every pending request whose retry time has come (same id, same fields), with
    /// exponential backoff (``RetryPolicy``), and schedules the next tick while any is pending.
    public mutating func tick(now: Timestamp) -> [SettlementDirective] {
        guard hasPending else { return [] }
        var directives: [SettlementDirective] = []
        // Sorted: dictionary order is seeded per process, and the simulator must replay exactly.
        for id in pendingTransactionIDs {
            guard let entry = outgoing[id], case .pending(let attempts, let nextRetryAt) = entry.state,
                nextRetryAt <= now
            else { continue }
            let attempt = attempts + 1
            outgoing[id]?.state = .pending(
                attempts: attempt, nextRetryAt: now.advanced(by: configuration.retry.delay(afterAttempt: attempt)))
            directives.append(.send(to: entry.transfer.peer, entry.transfer.message(from: me)))
        }
        if let next = nextTickDelay(now: now) { directives.append(.scheduleTick(after: next)) }
        return directives
    }

    /// Resumes after a start from records: every pending request is sent again at once (the
    /// giver answers a repeat with its stored receipt, so this is always safe).
    public mutating func restart(now: Timestamp) -> [SettlementDirective] {
        for id in pendingTransactionIDs {
            outgoing[id]?.state = .pending(attempts: 0, nextRetryAt: now)
        }
        return tick(now: now)
    }

    /// How long until the earliest pending retry, if any is pending.
    func nextTickDelay(now: Timestamp) -> Duration? {
        var earliest: Timestamp?
        for id in pendingIDs {
            guard case .pending(_, let retryAt) = outgoing[id]?.state else { continue }
            earliest = min(earliest ?? retryAt, retryAt)
        }
        guard let earliest else { return nil }
        return max(.zero, now.duration(to: earliest))
    }

    // MARK: - The one place state changes

    /// Applies one record: the live path right before emitting `.persist(record)`, and the
    /// restore path for every stored record. Computes every new value before assigning any, so a
    /// throw leaves the machine unchanged.
    mutating func apply(_ record: SettlementRecord) throws(AmountError) {
        switch record {
        case .outgoingCreated(let transfer):
            var taken = creditTaken[transfer.peer] ?? CreditTaken()
            if transfer.kind == .return { taken.returning = try taken.returning.adding(transfer.amount) }
            outgoing[transfer.transactionID] = OutgoingEntry(
                transfer: transfer, state: .pending(attempts: 0, nextRetryAt: transfer.createdAt))
            pendingIDs.insert(transfer.transactionID)
            creditTaken[transfer.peer] = taken

        case .outgoingSettled(let transfer, let receipt):
            var taken = creditTaken[transfer.peer] ?? CreditTaken()
            switch (transfer.kind, receipt.status) {
            case (.transfer, .accepted): taken.drawn = try taken.drawn.adding(transfer.amount)
            case (.transfer, .rejected): break
            case (.return, .accepted):
                taken.returning = try taken.returning.subtracting(transfer.amount)
                taken.drawn = try taken.drawn.subtracting(transfer.amount)
            case (.return, .rejected): taken.returning = try taken.returning.subtracting(transfer.amount)
            }
            outgoing[transfer.transactionID] = OutgoingEntry(
                transfer: transfer, state: receipt.isAccepted ? .accepted(receipt) : .rejected(receipt))
            pendingIDs.remove(transfer.transactionID)
            creditTaken[transfer.peer] = taken

        case .incomingDecided(let decision):
            let peer = decision.peer
            var line = creditLines[peer] ?? CreditLine(offer: configuration.offers[peer] ?? .zero)
            if decision.receipt.isAccepted {
                switch decision.kind {
                case .transfer: line.used = try line.used.adding(decision.receipt.amount)
                case .return: line.used = try line.used.subtracting(decision.receipt.amount)
                }
            }
            incoming[IncomingKey(peer: peer, transactionID: decision.receipt.transactionID)] = decision
            if decision.receipt.isAccepted || creditLines[peer] != nil { creditLines[peer] = line }

        case .incomingRefused(let refusal, let forgotten):
            var book = refusals[refusal.peer] ?? RefusalBook()
            if let forgotten { book.forget(forgotten) }
            book.byID[refusal.transactionID] = refusal
            refusals[refusal.peer] = book
        }
    }

    /// Applies `record` and returns `.persist(record)`; when the arithmetic overflows, nothing
    /// changes and `nil` is returned (callers decided with checked arithmetic first, so this
    /// does not happen in practice).
    mutating func record(_ record: SettlementRecord) -> SettlementDirective? {
        do {
            try apply(record)
            return .persist(record)
        } catch {
            return nil
        }
    }
}
