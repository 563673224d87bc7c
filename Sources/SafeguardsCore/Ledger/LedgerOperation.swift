/// One step applied to the ledger. Steps can be applied alone or as a linked batch.
public enum LedgerOperation: Sendable, Hashable {
    /// Opens an account. Opening an account that exists with the same flags is a no-op.
    case openAccount(AccountID, AccountFlags)
    /// Creates a single-phase or pending transfer. Repeating an existing id with the same fields
    /// returns the stored transfer; with other fields it is ``LedgerError/transferIDConflict(_:)``.
    case create(TransferRequest)
    /// Posts a pending transfer, in full (`nil`) or in part; the rest is released. Posting again
    /// with the same amount returns the stored transfer.
    case post(TransferID, amount: Amount?)
    /// Releases a pending transfer in full. Voiding again returns the stored transfer.
    case void(TransferID)
    /// Expires a pending transfer whose timeout has passed.
    case expire(TransferID)
}

/// What an operation did.
public struct LedgerOutcome: Sendable, Hashable {
    /// The transfer as it now stands (`nil` for ``LedgerOperation/openAccount(_:_:)``).
    public let transfer: Transfer?
    /// True when the operation repeated an earlier one and changed nothing.
    public let replayed: Bool
}

/// One durable change the ledger made, in order, for the store to write.
public enum LedgerChange: Sendable, Hashable {
    case accountOpened(AccountID, AccountFlags)
    case transferCreated(Transfer)
    /// A pending transfer moved to `posted`, `voided` or `expired`.
    case transferResolved(Transfer)
}
