import SafeguardsCore

// What the node reports about its budgets: usage alerts and the ledger's balance check.

/// A usage alert.
public struct AlertBody: Codable, Sendable, Equatable {
    public var id: String
    public var agentID: String
    public var poolID: String
    /// `warning` (75% used) or `critical` (90% used).
    public var level: String
    /// Used share of the budget, e.g. `"76.50"`.
    public var usagePercent: String
    public var used: Amount
    public var budget: Amount
    public var transferID: String
    public var createdAt: String
    public init(
        id: String, agentID: String, poolID: String, level: String, usagePercent: String, used: Amount,
        budget: Amount, transferID: String, createdAt: String
    ) {
        self.id = id
        self.agentID = agentID
        self.poolID = poolID
        self.level = level
        self.usagePercent = usagePercent
        self.used = used
        self.budget = budget
        self.transferID = transferID
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, agentID = "agent_id", poolID = "pool_id", level, usagePercent = "usage_percent", used, budget
        case transferID = "transfer_id", createdAt = "created_at"
    }
}

/// `GET /v1/alerts`
public struct AlertListBody: PagedList, Equatable {
    public var alerts: [AlertBody]
    /// The cursor of the next page (`?after=`), `nil` on the last page.
    public var next: String?
    public init(alerts: [AlertBody], next: String? = nil) {
        self.alerts = alerts
        self.next = next
    }

    public var items: [AlertBody] {
        get { alerts }
        set { alerts = newValue }
    }

    public func encode(to encoder: any Encoder) throws {
        try PageCoding.encode(alerts, as: "alerts", next: next, to: encoder)
    }

    enum CodingKeys: String, CodingKey {
        case alerts, next
    }
}

/// `GET /v1/ledger/check`: sums over every account. `balanced` when debits equal credits (posted
/// and pending) and no constrained account is below zero; `checkpoint` compares the stored
/// balances with the journal.
public struct LedgerCheckBody: Codable, Sendable, Equatable {
    public var balanced: Bool
    public var debits: String
    public var credits: String
    public var debitsPending: String
    public var creditsPending: String
    public var accounts: Int
    public var overdrawnAccounts: [String]
    /// The comparison of the checkpointed balances with the journal (absent from older nodes).
    public var checkpoint: CheckpointCheckBody?
    public init(
        balanced: Bool, debits: String, credits: String, debitsPending: String, creditsPending: String, accounts: Int,
        overdrawnAccounts: [String], checkpoint: CheckpointCheckBody? = nil
    ) {
        self.balanced = balanced
        self.debits = debits
        self.credits = credits
        self.debitsPending = debitsPending
        self.creditsPending = creditsPending
        self.accounts = accounts
        self.overdrawnAccounts = overdrawnAccounts
        self.checkpoint = checkpoint
    }

    enum CodingKeys: String, CodingKey {
        case balanced, debits, credits, debitsPending = "debits_pending", creditsPending = "credits_pending"
        case accounts, overdrawnAccounts = "overdrawn_accounts", checkpoint
    }
}

/// The `checkpoint` part of ``LedgerCheckBody``: whether each account's stored balances equal the
/// journal's sums (`fast`: summed in SQL; `full`: every transfer read again, and memory compared too).
public struct CheckpointCheckBody: Codable, Sendable, Equatable {
    /// `fast` or `full`.
    public var mode: String
    /// True when no account differs (in `full` mode, from memory either).
    public var consistent: Bool
    /// Accounts compared.
    public var accounts: Int
    /// Accounts whose stored balances differ from the journal, in id order (at most 100).
    public var mismatchedAccounts: [String]
    /// How many accounts differ from the journal in all.
    public var mismatchedCount: Int
    /// `full` only: accounts whose balances in memory differ from the stored ones (at most 100).
    public var memoryMismatchedAccounts: [String]?
    /// `full` only: transfers read from the journal.
    public var transfersRead: Int?

    public init(
        mode: String, consistent: Bool, accounts: Int, mismatchedAccounts: [String], mismatchedCount: Int,
        memoryMismatchedAccounts: [String]? = nil, transfersRead: Int? = nil
    ) {
        self.mode = mode
        self.consistent = consistent
        self.accounts = accounts
        self.mismatchedAccounts = mismatchedAccounts
        self.mismatchedCount = mismatchedCount
        self.memoryMismatchedAccounts = memoryMismatchedAccounts
        self.transfersRead = transfersRead
    }

    enum CodingKeys: String, CodingKey {
        case mode, consistent, accounts, mismatchedAccounts = "mismatched_accounts"
        case mismatchedCount = "mismatched_count", memoryMismatchedAccounts = "memory_mismatched_accounts"
        case transfersRead = "transfers_read"
    }
}
