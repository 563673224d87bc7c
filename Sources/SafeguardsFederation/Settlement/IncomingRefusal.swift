import SafeguardsCore

/// A giver's refusal of a new id, kept in compact form: everything needed to answer a repeat or a
/// status query with the same receipt, and nothing a peer can make large (no metadata).
///
/// Every field is of bounded size (identifiers are at most 128 bytes), so a peer that sends
/// request after request can grow a giver's refusals only up to
/// ``SettlementConfiguration/refusalsKeptPerPeer`` of these; past that the oldest are forgotten
/// under a horizon (``ForgottenRefusals``).
public struct IncomingRefusal: Sendable, Hashable, Codable {
    /// Transfer or return.
    public var kind: SettlementKind
    /// The id the requester chose.
    public var transactionID: TransferID
    /// The requester (the authenticated sender).
    public var peer: SystemID
    /// The requester's agent named in the request (shown in the transaction list).
    public var agentID: AgentID
    /// The amount asked (the receipt repeats it).
    public var amount: Amount
    /// Why it was refused.
    public var reason: SettlementRejectReason
    /// When the requester created the request, by its clock (the request's `created_at`).
    public var requestedAt: Timestamp
    /// When this node refused it, by its clock.
    public var decidedAt: Timestamp

    /// A refusal with every field.
    public init(
        kind: SettlementKind, transactionID: TransferID, peer: SystemID, agentID: AgentID, amount: Amount,
        reason: SettlementRejectReason, requestedAt: Timestamp, decidedAt: Timestamp
    ) {
        self.kind = kind
        self.transactionID = transactionID
        self.peer = peer
        self.agentID = agentID
        self.amount = amount
        self.reason = reason
        self.requestedAt = requestedAt
        self.decidedAt = decidedAt
    }

    /// The receipt this refusal answers with, from giver `me`: the same value every time.
    public func receipt(giver me: SystemID) -> TransferReceipt {
        TransferReceipt(
            transactionID: transactionID, requester: peer, giver: me, amount: amount, status: .rejected,
            reason: reason, decidedAt: decidedAt)
    }
}

/// Refusals of one peer that a giver no longer remembers, and the horizon that stands for them:
/// every forgotten refusal was for a request created at or before `horizon`, and from now on
/// every unknown id from that peer created at or before it is refused as
/// ``SettlementRejectReason/expired``. So a forgotten id can never be decided again.
public struct ForgottenRefusals: Sendable, Hashable, Codable {
    /// The requester whose refusals are forgotten.
    public var peer: SystemID
    /// The ids forgotten, oldest first.
    public var transactionIDs: [TransferID]
    /// The latest `requestedAt` among them (the peer's horizon only grows).
    public var horizon: Timestamp

    /// Forgotten refusals with every field.
    public init(peer: SystemID, transactionIDs: [TransferID], horizon: Timestamp) {
        self.peer = peer
        self.transactionIDs = transactionIDs
        self.horizon = horizon
    }
}

/// The refusals a giver remembers for one peer, and the horizon under which it forgot older ones.
struct RefusalBook: Sendable, Hashable {
    var byID: [TransferID: IncomingRefusal] = [:]
    /// Every forgotten refusal of this peer was requested at or before this time.
    var horizon: Timestamp?

    /// Whether a request created at `requestedAt` may have been refused and forgotten.
    func covers(_ requestedAt: Timestamp) -> Bool {
        horizon.map { requestedAt <= $0 } ?? false
    }

    /// The `count` remembered refusals requested first (ties by id): the ones to forget next.
    func oldest(_ count: Int) -> [IncomingRefusal] {
        guard count > 0 else { return [] }
        let ordered = byID.values.sorted { ($0.requestedAt, $0.transactionID) < ($1.requestedAt, $1.transactionID) }
        return Array(ordered.prefix(count))
    }

    mutating func forget(_ forgotten: ForgottenRefusals) {
        for id in forgotten.transactionIDs { byID.removeValue(forKey: id) }
        horizon = max(horizon ?? forgotten.horizon, forgotten.horizon)
    }
}
