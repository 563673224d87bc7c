import SafeguardsCore

/// What the shell must do after an event, in order. A `.persist` must be durable before any
/// directive after it is carried out ("ids are born durable").
public enum SettlementDirective: Sendable, Hashable {
    /// Write the record durably (and apply its ledger movement in the same transaction).
    case persist(SettlementRecord)
    /// Send a new message to a peer (a request, a retry, a query).
    case send(to: SystemID, SettlementMessage)
    /// Answer the peer whose message caused this event (a receipt or status answer).
    case reply(to: SystemID, SettlementMessage)
    /// Call ``SettlementMachine/tick(now:)`` again after this long.
    case scheduleTick(after: Duration)
    /// A receipt disagreed with what this node stored or asked for; nothing was applied. The
    /// shell logs it, counts it against the peer's trust and keeps it as evidence.
    case reportMismatch(EvidenceMismatch)
}

/// A receipt that could not be applied because it contradicts this node's records.
public struct EvidenceMismatch: Sendable, Hashable {
    /// What was wrong.
    public enum Problem: String, Sendable, Hashable {
        /// No outgoing transfer of that kind with that id to that peer exists here.
        case unknownTransaction = "unknown_transaction"
        /// The receipt names another requester, giver or amount than the transfer we sent.
        case fieldsDiffer = "fields_differ"
        /// A different receipt for the same id is already stored.
        case contradictsStored = "contradicts_stored"
        /// A rejection that is not a decision about our request (``SettlementRejectReason/conflict``...).
        case notADecision = "not_a_decision"
    }

    /// The id the receipt names.
    public var transactionID: TransferID
    /// The peer that sent the receipt (by the channel).
    public var peer: SystemID
    /// What was wrong.
    public var problem: Problem
    /// The receipt this node already stored for the id, if any.
    public var stored: TransferReceipt?
    /// The receipt that arrived.
    public var received: TransferReceipt

    /// A mismatch with every field.
    public init(
        transactionID: TransferID, peer: SystemID, problem: Problem, stored: TransferReceipt?, received: TransferReceipt
    ) {
        self.transactionID = transactionID
        self.peer = peer
        self.problem = problem
        self.stored = stored
        self.received = received
    }
}
