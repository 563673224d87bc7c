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

/// A transfer as the ledger holds it. Its id, accounts and amount never change once written;
/// only `state`, `postedAmount` and `resolvedAt` move forward.
public struct Transfer: Sendable, Hashable {
    public let id: TransferID
    public let debitAccount: AccountID
    public let creditAccount: AccountID
    /// The amount created (for a two-phase transfer: the amount reserved).
    public let amount: Amount
    public let isPending: Bool
    /// Timeout in milliseconds for a two-phase transfer, as requested.
    public let timeoutMilliseconds: Int64?
    /// Reason and metadata, compact where they can be (see ``TransferNote``).
    let note: TransferNote
    public let createdAt: Timestamp
    public internal(set) var state: TransferState
    /// What actually moved: `amount` for a single-phase transfer, the posted part of a two-phase one.
    public internal(set) var postedAmount: Amount
    /// When a two-phase transfer was posted, voided or expired.
    public internal(set) var resolvedAt: Timestamp?

    /// Builds a transfer as stored (used when the store reloads the journal).
    public init(
        id: TransferID, debitAccount: AccountID, creditAccount: AccountID, amount: Amount, isPending: Bool,
        timeoutMilliseconds: Int64?, reason: String, metadata: [String: String], createdAt: Timestamp,
        state: TransferState, postedAmount: Amount, resolvedAt: Timestamp?
    ) {
        self.init(
            id: id, debitAccount: debitAccount, creditAccount: creditAccount, amount: amount, isPending: isPending,
            timeoutMilliseconds: timeoutMilliseconds, note: TransferNote(reason: reason, metadata: metadata),
            createdAt: createdAt, state: state, postedAmount: postedAmount, resolvedAt: resolvedAt)
    }

    init(
        id: TransferID, debitAccount: AccountID, creditAccount: AccountID, amount: Amount, isPending: Bool,
        timeoutMilliseconds: Int64?, note: TransferNote, createdAt: Timestamp, state: TransferState,
        postedAmount: Amount, resolvedAt: Timestamp?
    ) {
        self.id = id
        self.debitAccount = debitAccount
        self.creditAccount = creditAccount
        self.amount = amount
        self.isPending = isPending
        self.timeoutMilliseconds = timeoutMilliseconds
        self.note = note
        self.createdAt = createdAt
        self.state = state
        self.postedAmount = postedAmount
        self.resolvedAt = resolvedAt
    }

    /// Why the budget moved, in words a person can read in the journal.
    public var reason: String { note.reason }
    /// What the transfer was for (``TransferMetadataKey``), as written to the journal.
    public var metadata: [String: String] { note.metadata }

    /// `metadata[key]`, without building the whole dictionary.
    public func metadataValue(_ key: String) -> String? { note.metadataValue(key) }

    /// The transfer as it was when it was created: its state, posted amount and resolution
    /// taken back to what creating it gives.
    var asCreated: Transfer {
        var created = self
        created.state = isPending ? .pending : .posted
        created.postedAmount = isPending ? .zero : amount
        created.resolvedAt = nil
        return created
    }

    /// When a pending transfer expires, if it has a timeout.
    public var expiresAt: Timestamp? {
        // Saturating, like `Timestamp.advanced(by:)`: a huge timeout means "practically never",
        // and must not wrap around into the past (which would expire the transfer at once).
        timeoutMilliseconds.map { timeout in
            let (sum, overflow) = createdAt.millisecondsSince1970.addingReportingOverflow(timeout)
            return Timestamp(millisecondsSince1970: overflow ? (timeout > 0 ? .max : .min) : sum)
        }
    }

    /// Whether a retry carrying `request` asks for exactly this transfer.
    public func matches(_ request: TransferRequest) -> Bool {
        debitAccount == request.debitAccount && creditAccount == request.creditAccount
            && amount == request.amount && isPending == request.isPending
            // A single-phase transfer stores no timeout (it has nothing to expire), so the timeout
            // of a single-phase request is ignored here too: otherwise its exact retry would conflict.
            && timeoutMilliseconds == request.timeoutMilliseconds
            // Notes are canonical: equal notes, equal reasons and metadata.
            && note == request.note
    }

    /// `duration` in whole milliseconds, saturating at the ends of `Int64` instead of wrapping.
    public static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return seconds > 0 ? .max : .min }
        let (sum, sumOverflow) = millis.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return sumOverflow ? (seconds > 0 ? .max : .min) : sum
    }
}
