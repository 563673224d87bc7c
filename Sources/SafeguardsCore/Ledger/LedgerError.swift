/// Why the ledger refused an operation. A refused operation changes nothing.
public enum LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    case accountNotFound(AccountID)
    case accountAlreadyExists(AccountID)
    case transferNotFound(TransferID)
    /// The id exists with other fields: a retry must repeat the original request exactly.
    case transferIDConflict(TransferID)
    case sameAccount(AccountID)
    case amountNotPositive(Amount)
    /// The debit account is constrained and would go below zero.
    case insufficientFunds(account: AccountID, available: Amount, requested: Amount)
    /// Post or void of a transfer that is not pending.
    case notPending(TransferID, TransferState)
    /// Post of more than was reserved.
    case postExceedsPending(TransferID, pending: Amount, requested: Amount)
    /// Post of a pending transfer after its timeout.
    case pendingExpired(TransferID)
    /// Expiry of a pending transfer before its timeout.
    case notYetExpired(TransferID)
    /// A balance would leave the representable range.
    case overflow(AccountID)
    /// A stored checkpoint of balances disagrees with itself or with the pending transfers
    /// (``Ledger/restore(checkpoint:transfers:)``): the account, and what is wrong.
    case checkpointMismatch(AccountID, String)
    /// In a linked batch, operation `index` failed, so none was applied.
    indirect case linkedBatchFailed(index: Int, underlying: LedgerError)

    public var description: String {
        switch self {
        case .accountNotFound(let id): return "account \(id) does not exist"
        case .accountAlreadyExists(let id): return "account \(id) already exists"
        case .transferNotFound(let id): return "transfer \(id) does not exist"
        case .transferIDConflict(let id):
            return "transfer id \(id) was already used for a different transfer"
        case .sameAccount(let id): return "a transfer cannot debit and credit the same account \(id)"
        case .amountNotPositive(let amount): return "amount \(amount) must be greater than zero"
        case .insufficientFunds(let account, let available, let requested):
            return "account \(account) has \(available) available, \(requested) requested"
        case .notPending(let id, let state): return "transfer \(id) is \(state.rawValue), not pending"
        case .postExceedsPending(let id, let pending, let requested):
            return "transfer \(id) reserved \(pending); cannot post \(requested)"
        case .pendingExpired(let id): return "transfer \(id) expired before it was posted"
        case .notYetExpired(let id): return "transfer \(id) has not reached its timeout"
        case .overflow(let id): return "a balance of account \(id) would leave the representable range"
        case .checkpointMismatch(let id, let what): return "the checkpoint of account \(id) is wrong: \(what)"
        case .linkedBatchFailed(let index, let underlying):
            return "linked operation \(index) failed (\(underlying)); nothing was applied"
        }
    }

    /// The error itself, or for a linked batch the error of the operation that failed.
    public var root: LedgerError {
        if case .linkedBatchFailed(_, let underlying) = self { return underlying.root }
        return self
    }
}
