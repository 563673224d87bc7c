/// A ledger account. Every holder of budget is one: pools, agents, spent sinks, the funding account.
///
/// Balances follow double-entry bookkeeping with credit-normal accounts: budget arrives as a
/// credit and leaves as a debit. Pending (reserved) amounts are tracked apart from posted ones.
///
/// The posted counters add up every posted transfer over the account's life, so they are
/// ``AmountTotal``s (128 bits): an account that moves budget in and out for years never reaches
/// their end. What must fit an ``Amount`` is the balance, and ``postDebit(_:)`` and
/// ``postCredit(_:)`` refuse a posting that would take it out of range.
public struct Account: Sendable, Hashable {
    public let id: AccountID
    public let flags: AccountFlags
    /// The four counters, apart from the id so the ledger can check and write them without
    /// copying (and retaining) the id.
    var balances = AccountBalances()

    public init(id: AccountID, flags: AccountFlags) {
        self.id = id
        self.flags = flags
    }

    /// An account with its counters as a checkpoint stored them (the store's start-up).
    public init(
        id: AccountID, flags: AccountFlags, debitsPosted: AmountTotal, creditsPosted: AmountTotal,
        debitsPending: Amount, creditsPending: Amount
    ) {
        self.id = id
        self.flags = flags
        balances = AccountBalances(
            debitsPending: debitsPending, debitsPosted: debitsPosted, creditsPending: creditsPending,
            creditsPosted: creditsPosted)
    }

    /// The placeholder of a slot whose account left (accounts never do; ``LedgerRow`` asks for one).
    public static let vacancy = Account(id: AccountID(unchecked: ""), flags: [])

    /// Reserved: the sum of pending transfers that debit this account.
    public internal(set) var debitsPending: Amount {
        get { balances.debitsPending }
        set { balances.debitsPending = newValue }
    }
    /// Every posted debit over the account's life.
    public internal(set) var debitsPosted: AmountTotal {
        get { balances.debitsPosted }
        set { balances.debitsPosted = newValue }
    }
    /// The sum of pending transfers that credit this account (not available until posted).
    public internal(set) var creditsPending: Amount {
        get { balances.creditsPending }
        set { balances.creditsPending = newValue }
    }
    /// Every posted credit over the account's life.
    public internal(set) var creditsPosted: AmountTotal {
        get { balances.creditsPosted }
        set { balances.creditsPosted = newValue }
    }

    /// Posted credits minus posted debits. Always in range: postings that would leave it are refused.
    public var postedBalance: Amount { balances.postedBalance }

    /// What can still be debited: posted credits minus posted and pending debits. Pending debits
    /// count against the balance at once; pending credits do not count until posted. (Only an
    /// unconstrained account can owe more than an amount can say; it then reads as `-Amount.max`.)
    public var available: Amount { balances.available }

    /// Whether the posted balance is an ``Amount``.
    var isBalanceInRange: Bool { balances.isBalanceInRange }

    /// Adds a posted debit of `amount`; throws ``AmountError/overflow`` (changing nothing) when
    /// the posted balance would leave the range of an amount.
    mutating func postDebit(_ amount: Amount) throws(AmountError) { try balances.postDebit(amount) }

    /// Adds a posted credit of `amount`; the twin of ``postDebit(_:)``.
    mutating func postCredit(_ amount: Amount) throws(AmountError) { try balances.postCredit(amount) }

    /// Whether the account obeys its constraint (a constrained account never goes below zero).
    public var isWithinConstraints: Bool {
        !flags.contains(.debitsMustNotExceedCredits) || available.micros >= 0
    }
}

/// An account's counters. Budget arrives as a credit and leaves as a debit; pending (reserved)
/// amounts are counted apart from posted ones.
///
/// The posted counters add up every posted transfer over the account's life, so they are
/// ``AmountTotal``s (128 bits); what must fit an ``Amount`` is the balance, and
/// ``postDebit(_:)`` and ``postCredit(_:)`` refuse a posting that would take it out of range.
struct AccountBalances: Sendable, Hashable {
    var debitsPending: Amount = .zero
    var debitsPosted: AmountTotal = .zero
    var creditsPending: Amount = .zero
    var creditsPosted: AmountTotal = .zero

    var postedBalance: Amount { Amount(clamping: creditsPosted.micros - debitsPosted.micros) }

    var available: Amount {
        Amount(clamping: creditsPosted.micros - debitsPosted.micros - Int128(debitsPending.micros))
    }

    var isBalanceInRange: Bool { Int64(exactly: creditsPosted.micros - debitsPosted.micros) != nil }

    mutating func postDebit(_ amount: Amount) throws(AmountError) {
        var posted = self
        posted.debitsPosted = debitsPosted.adding(amount)
        guard posted.isBalanceInRange else { throw .overflow }
        self = posted
    }

    mutating func postCredit(_ amount: Amount) throws(AmountError) {
        var posted = self
        posted.creditsPosted = creditsPosted.adding(amount)
        guard posted.isBalanceInRange else { throw .overflow }
        self = posted
    }
}

/// Account options.
public struct AccountFlags: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Posted plus pending debits may never exceed posted credits: the account cannot be overdrawn.
    public static let debitsMustNotExceedCredits = AccountFlags(rawValue: 1)
}
