extension MessageType {
    /// Asks a giver for budget from its credit line; the body is a ``RemoteTransferRequest``.
    public static let transferRequest = MessageType(rawValue: "transfer_request")
    /// The giver's decision on a transfer request; the body is a ``TransferReceipt``.
    public static let transferReceipt = MessageType(rawValue: "transfer_receipt")
    /// Gives unused remote budget back to the giver; the body is a ``ReturnRequest``.
    public static let returnRequest = MessageType(rawValue: "return_request")
    /// The giver's decision on a return; the body is a ``ReturnReceipt``.
    public static let returnReceipt = MessageType(rawValue: "return_receipt")
    /// Asks the giver what it decided for a transaction id; the body is a ``StatusQuery``.
    public static let statusQuery = MessageType(rawValue: "status_query")
    /// Answers a status query with the stored receipt or "unknown"; the body is a ``StatusAnswer``.
    public static let statusAnswer = MessageType(rawValue: "status_answer")

    /// The settlement protocol's message types, for a shell that routes frames to the machine.
    public static let settlement: Set<MessageType> = [
        .transferRequest, .transferReceipt, .returnRequest, .returnReceipt, .statusQuery, .statusAnswer,
    ]
}
