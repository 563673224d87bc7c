import SafeguardsCore

/// Which protocol a transaction id belongs to: a draw from a credit line or a return to it.
public enum SettlementKind: String, Sendable, Hashable, Codable {
    /// A ``RemoteTransferRequest``: budget moves from the giver's credit line to the requester's agent.
    case transfer
    /// A ``ReturnRequest``: budget moves from the requester's agent back to the giver's credit line.
    case `return`
}

/// The body of a `status_query`: the requester asks the giver what it decided for an id, for
/// reconciliation (after a restart, or when gossip digests disagree).
public struct StatusQuery: MessageBody, Hashable {
    public static let messageType = MessageType.statusQuery

    /// The id asked about.
    public var transactionID: TransferID
    /// Whether the id is a transfer or a return.
    public var kind: SettlementKind

    /// A query for `transactionID`.
    public init(transactionID: TransferID, kind: SettlementKind) {
        self.transactionID = transactionID
        self.kind = kind
    }

    enum CodingKeys: String, CodingKey {
        case transactionID = "transaction_id"
        case kind
    }
}

/// The body of a `status_answer`: the giver's stored receipt for the id, or none ("unknown": the
/// giver has not decided it, so the request may still be on its way).
public struct StatusAnswer: MessageBody, Hashable {
    public static let messageType = MessageType.statusAnswer

    /// The id asked about.
    public var transactionID: TransferID
    /// Whether the id is a transfer or a return.
    public var kind: SettlementKind
    /// The stored decision, or `nil` when the giver knows no decision for this id from the asker.
    public var receipt: TransferReceipt?

    /// An answer for `transactionID`.
    public init(transactionID: TransferID, kind: SettlementKind, receipt: TransferReceipt?) {
        self.transactionID = transactionID
        self.kind = kind
        self.receipt = receipt
    }

    /// Whether the giver knows the id.
    public var isUnknown: Bool { receipt == nil }

    enum CodingKeys: String, CodingKey {
        case transactionID = "transaction_id"
        case kind, receipt
    }
}
