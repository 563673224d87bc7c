/// A ledger account. Every holder of budget is one: pools, agents, spent sinks, the funding account.
///
/// Balances follow double-entry bookkeeping with credit-normal accounts: budget arrives as a
/// credit and leaves as a debit. Pending (reserved) amounts are tracked apart from posted ones.
public struct Account: Sendable, Hashable {
    public let id: AccountID
    public let flags: AccountFlags
    public internal(set) var debitsPending: Amount = .zero
    public internal(set) var debitsPosted: Amount = .zero
    public internal(set) var creditsPending: Amount = .zero
    public internal(set) var creditsPosted: Amount = .zero

    public init(id: AccountID, flags: AccountFlags) {
        self.id = id
        self.flags = flags
    }

    /// Posted credits minus posted debits.
    public var postedBalance: Amount { Amount(micros: creditsPosted.micros &- debitsPosted.micros) }

    /// What can still be debited: posted credits minus posted and pending debits. Pending debits
    /// count against the balance at once; pending credits do not count until posted.
    public var available: Amount {
        Amount(micros: creditsPosted.micros &- debitsPosted.micros &- debitsPending.micros)
    }

    /// Whether the account obeys its constraint (a constrained account never goes below zero).
    public var isWithinConstraints: Bool {
        !flags.contains(.debitsMustNotExceedCredits) || available.micros >= 0
    }
}

/// Account options.
public struct AccountFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Posted plus pending debits may never exceed posted credits: the account cannot be overdrawn.
    public static let debitsMustNotExceedCredits = AccountFlags(rawValue: 1)
}
