import SafeguardsCore

/// A transfer or return this node started, as the requester stored it before the first send.
/// Immutable: only its ``OutgoingState`` moves, and that lives in the machine.
public struct OutgoingTransfer: Sendable, Hashable, Codable {
    /// Transfer (draw from the peer's credit line) or return (give budget back).
    public var kind: SettlementKind
    /// The id, fresh and unique on this node across both kinds.
    public var transactionID: TransferID
    /// The giver: whose credit line the budget comes from or goes back to.
    public var peer: SystemID
    /// This node's agent the budget is for (transfer) or comes from (return).
    public var agentID: AgentID
    /// How much, positive.
    public var amount: Amount
    /// Context for people; empty for returns.
    public var metadata: [String: String]
    /// When the requester created it.
    public var createdAt: Timestamp

    /// An outgoing transfer with every field.
    public init(
        kind: SettlementKind, transactionID: TransferID, peer: SystemID, agentID: AgentID, amount: Amount,
        metadata: [String: String] = [:], createdAt: Timestamp
    ) {
        self.kind = kind
        self.transactionID = transactionID
        self.peer = peer
        self.agentID = agentID
        self.amount = amount
        self.metadata = metadata
        self.createdAt = createdAt
    }

    /// The message that asks the giver, from requester `me`; every retry sends exactly this.
    func message(from me: SystemID) -> SettlementMessage {
        switch kind {
        case .transfer:
            return .transferRequest(
                RemoteTransferRequest(
                    transactionID: transactionID, requester: me, giver: peer, amount: amount, agentID: agentID,
                    metadata: metadata, createdAt: createdAt))
        case .return:
            return .returnRequest(
                ReturnRequest(
                    transactionID: transactionID, requester: me, giver: peer, amount: amount, agentID: agentID,
                    createdAt: createdAt))
        }
    }

    /// Whether a repeated call asks for the same thing (same kind, peer, agent, amount, metadata).
    func sameRequest(as other: OutgoingTransfer) -> Bool {
        kind == other.kind && transactionID == other.transactionID && peer == other.peer && agentID == other.agentID
            && amount == other.amount && metadata == other.metadata
    }
}

/// The giver's durable decision for one id from one peer. Final: the same request gets this
/// receipt forever.
public struct IncomingDecision: Sendable, Hashable, Codable {
    /// Transfer or return.
    public var kind: SettlementKind
    /// The requester's agent named in the request (kept to recognise a repeat with other fields).
    public var agentID: AgentID
    /// The request's metadata (kept for the same reason; empty for returns).
    public var metadata: [String: String]
    /// The decision as sent: id, requester (the peer), giver (this node), amount, status, reason.
    public var receipt: TransferReceipt

    /// A decision with every field.
    public init(kind: SettlementKind, agentID: AgentID, metadata: [String: String], receipt: TransferReceipt) {
        self.kind = kind
        self.agentID = agentID
        self.metadata = metadata
        self.receipt = receipt
    }

    /// The peer that asked.
    public var peer: SystemID { receipt.requester }
}

/// What the shell must write durably, in directive order, before it carries out the directives
/// that follow. A machine rebuilt from every record it emitted (``SettlementMachine/init(configuration:restoring:)``)
/// is the machine that emitted them, apart from retry timers and rate-limit windows.
public enum SettlementRecord: Sendable, Hashable, Codable {
    /// The requester created a transfer or return. For a return the shell moves the amount from
    /// the agent to a holding account (it is no longer the agent's to spend); for a transfer
    /// nothing moves yet.
    case outgoingCreated(OutgoingTransfer)
    /// The requester learned the giver's decision. Accepted transfer: credit the agent under the
    /// same transaction id. Accepted return: the held amount is gone to the giver. Rejected
    /// return: the held amount goes back to the agent. Rejected transfer: nothing moves.
    case outgoingSettled(OutgoingTransfer, TransferReceipt)
    /// The giver decided. Accepted transfer: debit the peer's credit line under the transaction
    /// id. Accepted return: credit it back. The machine emits it for accepted decisions only;
    /// rejected ones written by earlier versions are still read back and kept.
    case incomingDecided(IncomingDecision)
    /// The giver refused a new id. Nothing moves. Kept in compact form in a bounded store (one
    /// row per refusal, at most ``SettlementConfiguration/refusalsKeptPerPeer`` per peer): the
    /// shell deletes the `forgotten` ones and raises the peer's horizon in the same transaction.
    case incomingRefused(IncomingRefusal, forgotten: ForgottenRefusals?)
}
