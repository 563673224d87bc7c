/// The life of a transfer. It only moves forward: `pending` → `posted` | `voided` | `expired`.
public enum TransferState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Two-phase, reserved: the amount counts against the debit account but has not moved.
    case pending
    /// Moved: for a single-phase transfer at once, for a two-phase one when it was posted.
    case posted
    /// A pending transfer that was released in full.
    case voided
    /// A pending transfer whose timeout passed before it was posted.
    case expired
}

/// What a caller asks the ledger to create.
public struct TransferRequest: Sendable, Hashable {
    public var id: TransferID
    public var debitAccount: AccountID
    public var creditAccount: AccountID
    public var amount: Amount
    /// Two-phase: create as `pending`, to be posted, voided or expired later.
    public var isPending: Bool
    /// For a pending transfer: how long it may stay pending before it expires. `nil`: never.
    public var timeout: Duration?
    /// Reason and metadata, compact where they can be (see ``TransferNote``).
    var note: TransferNote

    /// Why the budget moves, in words a person can read in the journal.
    public var reason: String {
        get { note.reason }
        set { note = TransferNote(reason: newValue, metadata: note.metadata) }
    }

    public var metadata: [String: String] {
        get { note.metadata }
        set { note = TransferNote(reason: note.reason, metadata: newValue) }
    }

    public init(
        id: TransferID, debit: AccountID, credit: AccountID, amount: Amount, isPending: Bool = false,
        timeout: Duration? = nil, reason: String, metadata: [String: String] = [:]
    ) {
        self.id = id
        self.debitAccount = debit
        self.creditAccount = credit
        self.amount = amount
        self.isPending = isPending
        self.timeout = timeout
        self.note = TransferNote(reason: reason, metadata: metadata)
    }

    /// The timeout as the transfer keeps it: whole milliseconds, and none for a single-phase
    /// transfer (it has nothing to expire).
    var timeoutMilliseconds: Int64? { isPending ? timeout.map(Transfer.milliseconds) : nil }
}
