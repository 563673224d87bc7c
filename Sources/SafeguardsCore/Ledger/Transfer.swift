/// A transfer as the ledger holds it. Its id, accounts and amount never change once written;
/// only `state`, `postedAmount` and `resolvedAt` move forward.
///
/// What never changes lives in one shared, immutable box (``TransferFacts``), so a copy of a
/// transfer (into a command's result, into the journal's changes) is one reference and three
/// small fields, not every id string again; the ledger's table row is as small.
public struct Transfer: Sendable, Hashable {
    private let shared: ImmutableBox<TransferFacts>
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
        shared = ImmutableBox(
            TransferFacts(
                id: id, debitAccount: debitAccount, creditAccount: creditAccount, amount: amount, isPending: isPending,
                timeoutMilliseconds: timeoutMilliseconds, note: note, createdAt: createdAt))
        self.state = state
        self.postedAmount = postedAmount
        self.resolvedAt = resolvedAt
    }

    private var facts: TransferFacts { shared.value }

    public var id: TransferID { facts.id }
    public var debitAccount: AccountID { facts.debitAccount }
    public var creditAccount: AccountID { facts.creditAccount }
    /// The amount created (for a two-phase transfer: the amount reserved).
    public var amount: Amount { facts.amount }
    public var isPending: Bool { facts.isPending }
    /// Timeout in milliseconds for a two-phase transfer, as requested.
    public var timeoutMilliseconds: Int64? { facts.timeoutMilliseconds }
    public var createdAt: Timestamp { facts.createdAt }
    /// Reason and metadata, compact where they can be (see ``TransferNote``).
    var note: TransferNote { facts.note }

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

    /// What a slot of the ledger's table holds once its transfer left memory: one shared value,
    /// never pending, so no sweep and no stale expiry entry takes it for a reservation.
    public static let vacancy = Transfer(
        id: TransferID(unchecked: ""), debitAccount: AccountID(unchecked: ""), creditAccount: AccountID(unchecked: ""),
        amount: .zero, isPending: false, timeoutMilliseconds: nil, note: TransferNote(reason: "", metadata: [:]),
        createdAt: Timestamp(millisecondsSince1970: 0), state: .voided, postedAmount: .zero, resolvedAt: nil)

    /// When the transfer last changed: its resolution, or its creation.
    public var lastChangedAt: Timestamp { resolvedAt ?? createdAt }

    /// `duration` in whole milliseconds, saturating at the ends of `Int64` instead of wrapping.
    public static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (millis, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return seconds > 0 ? .max : .min }
        let (sum, sumOverflow) = millis.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return sumOverflow ? (seconds > 0 ? .max : .min) : sum
    }

    public static func == (lhs: Transfer, rhs: Transfer) -> Bool {
        lhs.state == rhs.state && lhs.postedAmount == rhs.postedAmount && lhs.resolvedAt == rhs.resolvedAt
            && (lhs.shared === rhs.shared || lhs.facts == rhs.facts)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(facts)
        hasher.combine(state)
        hasher.combine(postedAmount)
        hasher.combine(resolvedAt)
    }
}

/// What never changes about a transfer once it is created.
struct TransferFacts: Sendable, Hashable {
    let id: TransferID
    let debitAccount: AccountID
    let creditAccount: AccountID
    let amount: Amount
    let isPending: Bool
    let timeoutMilliseconds: Int64?
    let note: TransferNote
    let createdAt: Timestamp
}

/// An immutable value behind one reference: copying the box retains it once, whatever the value
/// holds.
final class ImmutableBox<Value: Sendable>: Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }
}
