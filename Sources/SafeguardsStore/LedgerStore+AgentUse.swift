import GRDB
import SafeguardsCore

/// What counts against an agent's rate limit, read back from the journal.
extension LedgerStore {
    /// Calls `body` with every reservation and spend of `agent` created after `after` (the
    /// transfers that credit its `spent` account), oldest first: id, time and the amount that
    /// counts (a pending reservation what it reserved, a posted one what it settled, a voided or
    /// expired one nothing). A range of the agent's `(agent_id, created_at)` history index (a
    /// transfer that credits an agent's `spent` account debits its budget, so it is the agent's),
    /// read through a cursor, so a long window is never held in memory.
    ///
    /// - Throws: ``StoreError`` when the journal cannot be read.
    public func agentUses(
        _ agent: AgentID, after: Timestamp, _ body: (TransferID, Timestamp, Amount) -> Void
    ) throws(StoreError) {
        try read("read the uses of agent \(agent)") { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT id, created_at,
                        CASE state WHEN 'pending' THEN amount WHEN 'posted' THEN posted_amount ELSE 0 END AS counted
                    FROM transfers INDEXED BY transfers_by_agent
                    WHERE agent_id = ? AND created_at > ? AND credit_account = ? ORDER BY created_at
                    """,
                arguments: [agent.rawValue, after.millisecondsSince1970, LedgerAccounts.spent(agent).rawValue])
            while let row = try rows.next() {
                body(
                    TransferID(unchecked: row["id"]), Timestamp(millisecondsSince1970: row["created_at"]),
                    Amount(micros: row["counted"]))
            }
        }
    }
}
