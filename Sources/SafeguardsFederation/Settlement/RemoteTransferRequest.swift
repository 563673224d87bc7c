import SafeguardsCore

/// The body of a `transfer_request`: a requester asks a giver for `amount` from the credit line
/// the giver extends to it, for one of its agents.
///
/// Named `Remote…` because SafeguardsCore's ledger already has a `TransferRequest` (a local
/// transfer between accounts), and the shell imports both modules.
///
/// The transaction id is chosen and stored durably by the requester before the first send; every
/// retry carries the same id and the same fields, so the giver can answer it idempotently.
public struct RemoteTransferRequest: MessageBody, Hashable {
    public static let messageType = MessageType.transferRequest

    /// The id both sides store the transfer under.
    public var transactionID: TransferID
    /// The node asking (must be the authenticated sender).
    public var requester: SystemID
    /// The node asked (must be the receiver).
    public var giver: SystemID
    /// How much budget, a positive decimal string on the wire.
    public var amount: Amount
    /// The requester's agent the budget is for.
    public var agentID: AgentID
    /// Free-form context for people (why the agent needs it); never interpreted. At most the
    /// giver's `max_metadata_bytes` as compact JSON.
    public var metadata: [String: String]
    /// When the requester created the request, by its clock; every retry carries the same value.
    /// The giver compares it with the horizon under which it forgot old refusals (``ForgottenRefusals``).
    public var createdAt: Timestamp

    /// A request with every field.
    public init(
        transactionID: TransferID, requester: SystemID, giver: SystemID, amount: Amount, agentID: AgentID,
        metadata: [String: String] = [:], createdAt: Timestamp
    ) {
        self.transactionID = transactionID
        self.requester = requester
        self.giver = giver
        self.amount = amount
        self.agentID = agentID
        self.metadata = metadata
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case transactionID = "transaction_id"
        case requester, giver, amount
        case agentID = "agent_id"
        case metadata
        case createdAt = "created_at"
    }
}

/// The body of a `return_request`: a taker gives unused remote budget back to the giver whose
/// credit line it came from. Its transaction id is new (a return is its own transfer).
public struct ReturnRequest: MessageBody, Hashable {
    public static let messageType = MessageType.returnRequest

    /// The id both sides store the return under.
    public var transactionID: TransferID
    /// The node giving budget back (the original requester; the authenticated sender).
    public var requester: SystemID
    /// The node whose credit line the budget goes back to (the receiver).
    public var giver: SystemID
    /// How much, positive.
    public var amount: Amount
    /// The requester's agent the budget comes from.
    public var agentID: AgentID
    /// When the requester created the return, by its clock (as in ``RemoteTransferRequest/createdAt``).
    public var createdAt: Timestamp

    /// A return with every field.
    public init(
        transactionID: TransferID, requester: SystemID, giver: SystemID, amount: Amount, agentID: AgentID,
        createdAt: Timestamp
    ) {
        self.transactionID = transactionID
        self.requester = requester
        self.giver = giver
        self.amount = amount
        self.agentID = agentID
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case transactionID = "transaction_id"
        case requester, giver, amount
        case agentID = "agent_id"
        case createdAt = "created_at"
    }
}
