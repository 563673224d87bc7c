import GRDB
import SafeguardsCore

/// What a comparison of the checkpointed balances with the journal found (``LedgerStore/checkCheckpoint()``,
/// ``LedgerStore/checkCheckpointFully(against:)``).
public struct CheckpointCheck: Sendable, Equatable {
    /// How the journal's sums were made: in SQL, or by reading every transfer in Swift.
    public enum Mode: String, Sendable {
        case fast, full
    }

    /// At most this many mismatched accounts are named; the count says how many there are.
    public static let listLimit = 100

    public var mode: Mode
    /// Accounts compared (those in the checkpoint and those the journal names).
    public var accounts = 0
    /// Accounts whose checkpoint differs from the journal's sums, in id order, at most ``listLimit``.
    public var mismatchedAccounts: [AccountID] = []
    /// How many accounts differ in all.
    public var mismatchedCount = 0
    /// Full mode: accounts whose balances in memory differ from the checkpoint, in id order, at
    /// most ``listLimit``.
    public var memoryMismatchedAccounts: [AccountID]?
    /// Full mode: how many transfers were read.
    public var transfersRead: Int?

    public init(
        mode: Mode, accounts: Int = 0, mismatchedAccounts: [AccountID] = [], mismatchedCount: Int = 0,
        memoryMismatchedAccounts: [AccountID]? = nil, transfersRead: Int? = nil
    ) {
        self.mode = mode
        self.accounts = accounts
        self.mismatchedAccounts = mismatchedAccounts
        self.mismatchedCount = mismatchedCount
        self.memoryMismatchedAccounts = memoryMismatchedAccounts
        self.transfersRead = transfersRead
    }

    /// Whether the checkpoint agrees with the journal (and, in full mode, with memory).
    public var isConsistent: Bool { mismatchedCount == 0 && (memoryMismatchedAccounts?.isEmpty ?? true) }

    /// The ids (sorted) whose sums differ between `stored` and `expected`, named up to ``listLimit``.
    static func differences(_ stored: [String: LedgerStore.AccountSums], _ expected: [String: LedgerStore.AccountSums])
        -> (ids: [AccountID], count: Int, compared: Int)
    {
        let ids = Set(stored.keys).union(expected.keys)
        let differing = ids.filter { (stored[$0] ?? .init()) != (expected[$0] ?? .init()) }.sorted()
        return (differing.prefix(listLimit).map(AccountID.init(unchecked:)), differing.count, ids.count)
    }
}

extension LedgerStore {
    /// Compares the checkpoint with the journal's sums made in SQL (one `GROUP BY` per side),
    /// in one read transaction. Throws ``StoreError`` when the database cannot be read (or a
    /// sum leaves 64 bits).
    public func checkCheckpoint() throws(StoreError) -> CheckpointCheck {
        try read("check the checkpoint") { db in
            let found = CheckpointCheck.differences(try Self.checkpointSums(db), try Self.journalSums(db))
            return CheckpointCheck(
                mode: .fast, accounts: found.compared, mismatchedAccounts: found.ids, mismatchedCount: found.count)
        }
    }

    /// Recomputes every account's sums from the journal in Swift, reading the transfers one row
    /// at a time (no copy of the journal in memory), and compares them with the checkpoint and
    /// the checkpoint with `memory` (the balances the node holds; nil to skip that comparison).
    public func checkCheckpointFully(against memory: [AccountID: Account]?) throws(StoreError) -> CheckpointCheck {
        try read("check the checkpoint against the journal") { db in
            var sums: [String: (debitsPosted: Int128, creditsPosted: Int128, debitsPending: Int128, creditsPending: Int128)] = [:]
            var rows = 0
            let cursor = try Row.fetchCursor(
                db, sql: "SELECT debit_account, credit_account, state, amount, posted_amount FROM transfers")
            while let row = try cursor.next() {
                rows += 1
                let debit: String = row[0]
                let credit: String = row[1]
                let state: String = row[2]
                let amount = Int128(row[3] as Int64)
                let posted = Int128(row[4] as Int64)
                if state == TransferState.posted.rawValue {
                    sums[debit, default: (0, 0, 0, 0)].debitsPosted += posted
                    sums[credit, default: (0, 0, 0, 0)].creditsPosted += posted
                } else if state == TransferState.pending.rawValue {
                    sums[debit, default: (0, 0, 0, 0)].debitsPending += amount
                    sums[credit, default: (0, 0, 0, 0)].creditsPending += amount
                }
            }
            let stored = try Self.checkpointSums(db)
            var journal: [String: AccountSums] = [:]
            for (id, sum) in sums {
                // A journal sum past 64 bits cannot equal a stored counter: it counts as a mismatch.
                var entry = AccountSums()
                entry.debitsPosted = Int64(exactly: sum.debitsPosted) ?? .min
                entry.creditsPosted = Int64(exactly: sum.creditsPosted) ?? .min
                entry.debitsPending = Int64(exactly: sum.debitsPending) ?? .min
                entry.creditsPending = Int64(exactly: sum.creditsPending) ?? .min
                journal[id] = entry
            }
            let found = CheckpointCheck.differences(stored, journal)
            var check = CheckpointCheck(
                mode: .full, accounts: found.compared, mismatchedAccounts: found.ids, mismatchedCount: found.count,
                transfersRead: rows)
            if let memory {
                var held: [String: AccountSums] = [:]
                for (id, account) in memory { held[id.rawValue] = try AccountSums(account) }
                check.memoryMismatchedAccounts = CheckpointCheck.differences(stored, held).ids
            }
            return check
        }
    }
}
