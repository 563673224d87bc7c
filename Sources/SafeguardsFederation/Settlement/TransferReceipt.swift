import SafeguardsCore

/// The body of a `transfer_receipt`: what the giver decided for a transaction id.
///
/// The giver's stored decision is final; the requester only learns it. A receipt is the same
/// value every time the giver sends it for that id (retries, status queries), so the requester
/// can compare any later copy with the one it stored.
public struct TransferReceipt: MessageBody, Hashable {
    public static let messageType = MessageType.transferReceipt

    /// The id the decision is for.
    public var transactionID: TransferID
    /// The node that asked.
    public var requester: SystemID
    /// The node that decided.
    public var giver: SystemID
    /// The amount asked, and moved when ``status`` is accepted.
    public var amount: Amount
    /// Accepted or rejected.
    public var status: SettlementStatus
    /// Why it was rejected; `nil` when accepted.
    public var reason: SettlementRejectReason?
    /// When the giver decided, by its clock.
    public var decidedAt: Timestamp

    /// A receipt with every field.
    public init(
        transactionID: TransferID, requester: SystemID, giver: SystemID, amount: Amount, status: SettlementStatus,
        reason: SettlementRejectReason? = nil, decidedAt: Timestamp
    ) {
        self.transactionID = transactionID
        self.requester = requester
        self.giver = giver
        self.amount = amount
        self.status = status
        self.reason = reason
        self.decidedAt = decidedAt
    }

    /// Whether the receipt moved budget.
    public var isAccepted: Bool { status == .accepted }

    enum CodingKeys: String, CodingKey {
        case transactionID = "transaction_id"
        case requester, giver, amount, status, reason
        case decidedAt = "decided_at"
    }
}

/// The body of a `return_receipt`: the giver's decision on a ``ReturnRequest``, with the same
/// fields as a ``TransferReceipt`` (a separate type only so it travels under its own message type).
public struct ReturnReceipt: MessageBody, Hashable {
    public static let messageType = MessageType.returnReceipt

    /// The decision, with the same meaning as in a transfer receipt.
    public var receipt: TransferReceipt

    /// Wraps a decision for a return.
    public init(_ receipt: TransferReceipt) {
        self.receipt = receipt
    }

    public init(from decoder: any Decoder) throws {
        self.receipt = try TransferReceipt(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try receipt.encode(to: encoder)
    }
}
