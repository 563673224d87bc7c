import GRDB
import SafeguardsCore

/// The checkpoint of balances: each account row carries its four counters (micro-units), written
/// in the same transaction as the transfers that change them. Start-up reads them with the live
/// transfers (pending, and those of the idempotency window) instead of the whole journal, and
/// the checks compare them with the journal.
///
/// Counters are SQLite integers (64 bits): a posted total past `Int64.max` micro-units
/// (9.2 trillion units moved through one account) fails its commit with a clear error rather
/// than being stored wrong.
extension LedgerStore {
    /// One account's counters in micro-units, as the checkpoint or the journal gives them.
    public struct AccountSums: Sendable, Equatable {
        public var debitsPosted: Int64 = 0
        public var creditsPosted: Int64 = 0
        public var debitsPending: Int64 = 0
        public var creditsPending: Int64 = 0

        public init() {}

        init(_ account: Account) throws {
            guard let debits = Int64(exactly: account.debitsPosted.micros),
                let credits = Int64(exactly: account.creditsPosted.micros)
            else { throw DatabaseError(message: "the posted totals of account \(account.id) exceed 64 bits") }
            debitsPosted = debits
            creditsPosted = credits
            debitsPending = account.debitsPending.micros
            creditsPending = account.creditsPending.micros
        }
    }

    /// Writes the counters of `accounts` (each once: the last value wins) into their rows.
    static func writeCheckpoint(_ accounts: [Account], _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                UPDATE accounts SET debits_posted = ?, credits_posted = ?, debits_pending = ?, credits_pending = ?
                WHERE id = ?
                """)
        for account in accounts {
            let sums = try AccountSums(account)
            try statement.execute(arguments: [
                sums.debitsPosted, sums.creditsPosted, sums.debitsPending, sums.creditsPending, account.id.rawValue,
            ])
            guard db.changesCount == 1 else { throw DatabaseError(message: "account \(account.id) has no row") }
        }
    }

    /// Every account with its checkpointed counters.
    static func checkpointAccounts(_ db: Database) throws -> [Account] {
        try Row.fetchAll(
            db, sql: "SELECT id, flags, debits_posted, credits_posted, debits_pending, credits_pending FROM accounts"
        ).map { row in
            Account(
                id: AccountID(unchecked: row["id"]), flags: AccountFlags(rawValue: row["flags"]),
                debitsPosted: AmountTotal(micros: Int128(row["debits_posted"] as Int64)),
                creditsPosted: AmountTotal(micros: Int128(row["credits_posted"] as Int64)),
                debitsPending: Amount(micros: row["debits_pending"]), creditsPending: Amount(micros: row["credits_pending"]))
        }
    }

    /// The transfers memory holds: every pending one, and those created or resolved at or after
    /// `windowStart`, in journal order. Three indexed look-ups, not a scan of history.
    static func liveTransfers(_ db: Database, windowStart: Timestamp) throws -> [Transfer] {
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT * FROM transfers WHERE seq IN (
                    SELECT seq FROM transfers WHERE state = 'pending'
                    UNION SELECT seq FROM transfers WHERE created_at >= ?1
                    UNION SELECT seq FROM transfers WHERE resolved_at >= ?1)
                ORDER BY seq
                """,
            arguments: [windowStart.millisecondsSince1970])
        var transfers: [Transfer] = []
        while let row = try cursor.next() { transfers.append(try transfer(from: row)) }
        return transfers
    }

    /// Each account's counters as the journal sums them, in SQL: one `GROUP BY` per side.
    static func journalSums(_ db: Database) throws -> [String: AccountSums] {
        var sums: [String: AccountSums] = [:]
        for side in ["debit", "credit"] {
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT \(side)_account AS account,
                        SUM(CASE WHEN state = 'posted' THEN posted_amount ELSE 0 END) AS posted,
                        SUM(CASE WHEN state = 'pending' THEN amount ELSE 0 END) AS pending
                    FROM transfers GROUP BY \(side)_account
                    """)
            while let row = try rows.next() {
                let account: String = row["account"]
                if side == "debit" {
                    sums[account, default: AccountSums()].debitsPosted = row["posted"]
                    sums[account, default: AccountSums()].debitsPending = row["pending"]
                } else {
                    sums[account, default: AccountSums()].creditsPosted = row["posted"]
                    sums[account, default: AccountSums()].creditsPending = row["pending"]
                }
            }
        }
        return sums
    }

    /// Each account's counters as stored in the checkpoint.
    static func checkpointSums(_ db: Database) throws -> [String: AccountSums] {
        var sums: [String: AccountSums] = [:]
        for account in try checkpointAccounts(db) { sums[account.id.rawValue] = try AccountSums(account) }
        return sums
    }
}
