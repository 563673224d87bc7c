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
///   that crashed (apart from retry timers and rate-limit windows, which are volatile). A record
///   changes its peer's ``SettlementTotals`` by an amount that depends on that record alone
///   (``SettlementTotals/Change``), so a store can keep the totals as a checkpoint and a node can
///   start from it and the pending transfers (``init(configuration:totals:pending:refusals:refusalHorizons:history:)``).
/// - **Only what is live stays in memory.** Pending transfers, the totals, the refusal books and
///   rate windows are held; an accepted decision or a settled transfer is dropped as soon as the
///   shell reports its record durable (``forgetDurable(_:)``), never before, and from then on it is
///   read through ``SettlementHistory`` whenever an event needs it: a repeat of a decided request
///   gets the stored receipt, a status query the stored answer, a late receipt is a duplicate. So
///   forgetting changes no answer, and the machine's memory grows with what is in flight, not
///   with the years. (Dropping at once rather than after a window: a retry of a settled id is
///   rare, and one indexed read serves it.)
/// - **A refusal is final, and bounded.** An accepted decision moved budget and is kept in full
///   forever (in the store). A refusal moved nothing and is kept compactly (``IncomingRefusal``: no
///   metadata), at most ``SettlementConfiguration/refusalsKeptPerPeer`` per peer; past that the peer's oldest
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
    /// The digest of the accepted transactions with each peer, as a running sum.
    var digests: [SystemID: SettlementDigestSum] = [:]
    /// Where decided records are found once they left memory.
    public let history: any SettlementHistory

    /// This node.
    public var me: SystemID { configuration.me }

    /// A node with no history, which finds the records it forgets through `history`.
    public init(configuration: SettlementConfiguration, history: any SettlementHistory = NoSettlementHistory()) {
        self.configuration = configuration
        self.history = history
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
        refusalHorizons: [SystemID: Timestamp] = [:], history: any SettlementHistory = NoSettlementHistory()
    ) throws(SettlementError) {
        self.init(configuration: configuration, history: history)
        for (peer, horizon) in refusalHorizons {
            refusals[peer, default: RefusalBook()].forget(ForgottenRefusals(peer: peer, transactionIDs: [], horizon: horizon))
        }
        for record in records {
            do { try apply(record) } catch { throw .amountOverflow }
        }
    }

    /// The node rebuilt from a checkpoint: each peer's `totals`, the transfers and returns still
    /// `pending` (in the order they were created), the refusals still kept and each peer's horizon.
    /// Decided records stay in the store and are read through `history` when needed. Call
    /// ``restart(now:)`` next to resume the pending transfers.
    ///
    /// - Throws: ``SettlementError/amountOverflow`` when the pending returns add up past the
    ///   representable range (they cannot, if this machine wrote them).
    public init(
        configuration: SettlementConfiguration, totals: [SystemID: SettlementTotals], pending: [OutgoingTransfer],
        refusals kept: [IncomingRefusal], refusalHorizons: [SystemID: Timestamp], history: any SettlementHistory
    ) throws(SettlementError) {
        self.init(configuration: configuration, history: history)
        for (peer, total) in totals {
            if total.creditUsed != .zero || creditLines[peer] != nil {
                creditLines[peer, default: CreditLine(offer: configuration.offers[peer] ?? .zero)].used = total.creditUsed
            }
            if total.drawn != .zero || creditTaken[peer] != nil { creditTaken[peer, default: CreditTaken()].drawn = total.drawn }
            if total.digest.count > 0 { digests[peer] = total.digest }
        }
        for (peer, horizon) in refusalHorizons {
            refusals[peer, default: RefusalBook()].forget(ForgottenRefusals(peer: peer, transactionIDs: [], horizon: horizon))
        }
        let records: [SettlementRecord] =
            pending.map { .outgoingCreated($0) } + kept.map { .incomingRefused($0, forgotten: nil) }
        for record in records {
            do { try apply(record) } catch { throw .amountOverflow }
        }
    }

    /// Each peer's running totals, as a store checkpoints them (peers with nothing settled are left out).
    public var totals: [SystemID: SettlementTotals] {
        var totals: [SystemID: SettlementTotals] = [:]
        for (peer, line) in creditLines where line.used != .zero { totals[peer, default: SettlementTotals()].creditUsed = line.used }
        for (peer, taken) in creditTaken where taken.drawn != .zero { totals[peer, default: SettlementTotals()].drawn = taken.drawn }
        for (peer, digest) in digests where digest.count > 0 { totals[peer, default: SettlementTotals()].digest = digest }
        return totals
    }

    /// How many transfers and decisions the machine holds in memory: the pending ones, and the
    /// decided ones whose records are not reported durable yet.
    public var heldRecordCount: Int { outgoing.count + incoming.count }

    // MARK: - Leaving memory

    /// The shell made `record` durable: a settled transfer or an accepted decision it holds leaves
    /// memory (the store, through ``history``, answers for it from now on). Other records, and a
    /// record that is not the one held (after a rebuild), change nothing.
    public mutating func forgetDurable(_ record: SettlementRecord) {
        switch record {
        case .outgoingSettled(let transfer, let receipt):
            guard let entry = outgoing[transfer.transactionID], entry.state.receipt == receipt else { return }
            outgoing[transfer.transactionID] = nil
        case .incomingDecided(let decision):
            let key = IncomingKey(peer: decision.peer, transactionID: decision.receipt.transactionID)
            guard incoming[key] == decision else { return }
            incoming[key] = nil
        case .outgoingCreated, .incomingRefused:
            break
        }
    }

    /// A transfer this node started: held when pending or not yet durable, else from the history.
    func outgoingEntry(_ transactionID: TransferID) throws(SettlementHistoryUnavailable) -> OutgoingEntry? {
        if let held = outgoing[transactionID] { return held }
        return try history.settled(transactionID)
    }

    /// The giver's decision for `peer`'s id: held when not yet durable, else from the history.
    func storedDecision(from peer: SystemID, _ transactionID: TransferID) throws(SettlementHistoryUnavailable)
        -> IncomingDecision?
    {
        if let held = incoming[IncomingKey(peer: peer, transactionID: transactionID)] { return held }
        return try history.decision(from: peer, transactionID)
    }

    // MARK: - Queries

    /// The state of a transfer or return this node started (`nil` when unknown, or when the
    /// history cannot be read).
    public func outgoingState(_ transactionID: TransferID) -> OutgoingState? {
        (try? outgoingEntry(transactionID))?.state
    }

    /// This node's decision (as a giver) for `transactionID` from `peer` (`nil` when none, or when
    /// the history cannot be read).
    public func incomingDecision(from peer: SystemID, _ transactionID: TransferID) -> IncomingDecision? {
        try? storedDecision(from: peer, transactionID)
    }

    /// This node's decision (as a giver) for `transactionID`, from whichever peer (the first by
    /// peer id when two peers used the same id), among the decisions still held in memory.
    public func incomingDecision(_ transactionID: TransferID) -> IncomingDecision? {
        incoming.filter { $0.key.transactionID == transactionID }.min { $0.key.peer < $1.key.peer }?.value
    }

    /// The decisions this node took as a giver and still holds in memory (not reported durable
    /// yet), ordered by peer then id.
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
        if let decision = incomingDecision(from: peer, transactionID) { return decision.receipt.status }
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
            let retryAt = now.advanced(by: configuration.retry.delay(afterAttempt: attempt))
            outgoing[id]?.state = .pending(attempts: attempt, nextRetryAt: retryAt)
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
            // An empty entry is not kept, so a node restored from its totals holds the same entries.
            creditTaken[transfer.peer] = taken.isEmpty ? nil : taken

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
            creditTaken[transfer.peer] = taken.isEmpty ? nil : taken
            addToDigest(record)

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
            addToDigest(record)

        case .incomingRefused(let refusal, let forgotten):
            var book = refusals[refusal.peer] ?? RefusalBook()
            if let forgotten { book.forget(forgotten) }
            book.byID[refusal.transactionID] = refusal
            refusals[refusal.peer] = book
        }
    }

    private mutating func addToDigest(_ record: SettlementRecord) {
        let change = SettlementTotals.Change(record)
        if change.digest.count > 0 { digests[change.peer, default: SettlementDigestSum()].add(change.digest) }
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
